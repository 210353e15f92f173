// Benchmark helpers: sampling, percentiles, and the one results writer (metadata, baselines, fair ratios only).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { AirlockError } from '../protocol/src/errors';
import { BenchResult, type Measured, type Ratio } from './schema';

export type { Measured } from './schema';
export type Figures = Record<string, Measured>;

const loadAtStart = os.loadavg()[0];

export function percentile(samples: number[], p: number): number {
  if (!samples.length) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i];
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Times `fn` `n` times after `warmup` runs; returns per-run milliseconds. */
export async function sample(n: number, fn: () => unknown, warmup = Math.min(10, n)): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = nowMs();
    await fn();
    out.push(nowMs() - t);
  }
  return out;
}

/** Samples contenders in rounds (a, b, c, a, b, c, ...) so all see the same machine load; same n, same warm-up. */
export async function sampleRounds(n: number, warmup: number, ...fns: Array<() => unknown>): Promise<number[][]> {
  for (let i = 0; i < warmup; i++) for (const fn of fns) await fn();
  const out = fns.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    for (const [k, fn] of fns.entries()) {
      const t = nowMs();
      await fn();
      out[k].push(nowMs() - t);
    }
  }
  return out;
}

/** Runs bench/cli.ts as a spawned CLI (Node with the tsx loader, as a checkout runs our code); returns its stdout. */
export function runOurCli(args: string[]): string {
  const argv = ['--require', 'tsx/cjs', path.join(__dirname, 'cli.ts'), ...args];
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`bench/cli.ts ${args[0]} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Why `a / b` would compare unequal sampling, or undefined when the ratio is fair by docs/CONTRIBUTING.md's rule. */
export function unfairness(a: Measured, b: Measured): string | undefined {
  if (a.model !== b.model) return `process models differ (${a.model} vs ${b.model})`;
  if (a.unit !== b.unit) return `units differ (${a.unit} vs ${b.unit})`;
  if (a.stat !== b.stat) return `statistics differ (${a.stat} vs ${b.stat})`;
  if (a.n !== b.n) return `sample counts differ (${a.n} vs ${b.n})`;
  if (a.warmup !== b.warmup) return `warm-ups differ (${a.warmup} vs ${b.warmup})`;
  return undefined;
}

export interface ResultSpec {
  name: string;
  /** The container engine driven, from `engineOf`, or null when the bench drives none. */
  engine: BenchResult['engine'];
  metrics: Figures;
  baselines: Figures;
  reference?: Figures;
  ratios?: Array<[label: string, num: string, den: string]>;
  notes?: string[];
}

/** Builds and validates a results file: refuses missing metadata, unknown keys and every unfair ratio. */
export function buildResult(spec: ResultSpec, commit = gitCommit(), loadEnd = os.loadavg()[0]): BenchResult {
  const all: Figures = { ...spec.baselines, ...spec.metrics };
  const overlap = Object.keys(spec.metrics).filter((k) => k in spec.baselines || k in (spec.reference ?? {}));
  if (overlap.length)
    throw new AirlockError(
      'BENCH_DUPLICATE_KEY',
      `keys in more than one section: ${overlap.join(', ')}`,
      'a key is ours (metrics), a baseline, or a reference figure: one of them',
    );
  const ratios: Ratio[] = (spec.ratios ?? []).map(([label, num, den]) => {
    const a = all[num];
    const b = all[den];
    if (!a || !b) {
      throw new AirlockError(
        'BENCH_RATIO_KEY',
        `ratio "${label}" names ${!a ? num : den}, which is not a metric or baseline`,
        'reference figures are never part of a ratio',
      );
    }
    const why = unfairness(a, b);
    if (why)
      throw new AirlockError(
        'BENCH_UNFAIR_RATIO',
        `ratio "${label}" (${num} / ${den}) compares unequal work: ${why}`,
        'see the benchmark rule in docs/CONTRIBUTING.md: same work, data, process model, warm-up and sampling',
      );
    return { label, num, den, value: a.value / b.value };
  });
  const cores = os.cpus().length;
  const result = {
    name: spec.name,
    date: new Date().toISOString(),
    commit,
    machine: {
      cores,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memoryBytes: os.totalmem(),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      loadStart: round2(loadAtStart),
      loadEnd: round2(loadEnd),
      underLoad: Math.max(loadAtStart, loadEnd) >= cores / 2,
    },
    engine: spec.engine,
    node: process.version,
    metrics: spec.metrics,
    baselines: spec.baselines,
    reference: spec.reference ?? {},
    ratios,
    notes: spec.notes ?? [],
  };
  const parsed = BenchResult.safeParse(result);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new AirlockError(
      'BENCH_RESULT_INVALID',
      `bench ${spec.name}: ${issues}`,
      'every figure records value, unit, stat, n, warm-up, process model and work (bench/schema.ts)',
    );
  }
  return parsed.data;
}

/** The one writer every bench uses: prints the table and writes bench/results/NAME.json. */
export function writeResults(spec: ResultSpec): BenchResult {
  const r = buildResult(spec);
  const rows: string[][] = [];
  const add = (section: string, figs: Figures) => {
    for (const [k, m] of Object.entries(figs)) {
      rows.push([k, fmt(m.value), m.unit, `${section} ${m.stat} n=${m.n} w=${m.warmup} ${m.model}`, m.goal ?? '']);
    }
  };
  add('ours', r.metrics);
  add('baseline', r.baselines);
  add('reference', r.reference);
  for (const x of r.ratios) rows.push([x.label, fmt(x.value), 'x', `ratio ${x.num} / ${x.den}`, '']);
  const head = ['metric', 'value', 'unit', 'what', 'goal'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (row: string[]) =>
    row
      .map((c, i) => (i === 1 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const engine = r.engine ? `${r.engine.name} ${r.engine.version}, ` : '';
  console.log(`\n== bench ${r.name} (${engine}${r.machine.cores} cores, load ${r.machine.loadStart}→${r.machine.loadEnd}) ==`);
  console.log(line(head));
  for (const row of rows) console.log(line(row));
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${r.name}.json`), JSON.stringify(r, null, 2) + '\n');
  console.log(`wrote bench/results/${r.name}.json`);
  return r;
}

/** The engine's name and server version, asked over its socket. */
export async function engineOf(name: 'docker' | 'podman', socketPath: string): Promise<{ name: string; version: string }> {
  const v = await new Docker({ socketPath }).version();
  return { name, version: v.Version };
}

function gitCommit(): BenchResult['commit'] {
  const root = path.join(__dirname, '..');
  const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  // Dirty = uncommitted changes in what the benches measure (other folders do not change the figures).
  const measured = ['bench', 'kernel', 'protocol', 'bootstrap', 'templates'];
  const status = execFileSync('git', ['status', '--porcelain', '--', ...measured], { cwd: root, encoding: 'utf8' });
  return { sha, dirty: status.split('\n').some((l) => l.trim() && !l.includes('bench/results/')) };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
