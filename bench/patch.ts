// Patch-set generation for 1/100/1000 changed files in a 50,000-file workspace beside git diffing exactly those files
// (`git diff --no-index`, and `git diff` in a real repository); merge of 1,000 hunks.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Figures, percentile, runOurCli, sample, sampleRounds, writeResults } from './lib';
import { generatePatchSet } from '../kernel/src/patches/generate';
import { scanUpper } from '../kernel/src/patches/scan';
import { planMerge } from '../kernel/src/patches/merge-plan';
import { readCurrentFiles } from '../kernel/src/patches/current';
import { applyOps } from '../core/src/apply/apply';

const FILES = Number(process.env.BENCH_FILES ?? 50_000);
const PER_DIR = 100;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-bench-patch-'));
const ws = path.join(root, 'ws');
const rel = (i: number) => `d${Math.floor(i / PER_DIR)}/f${i % PER_DIR}.ts`;
const body = (i: number, changed = false) =>
  Array.from({ length: 30 }, (_, k) => (changed && k === 15 ? `// changed ${i}\n` : `export const v${k} = ${i * 31 + k};\n`)).join('');

function writeFile(dir: string, r: string, content: string): void {
  const p = path.join(dir, r);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
}

const SIZES = [1, 100, 1000] as const;
const RUNS: Record<(typeof SIZES)[number], number> = { 1: 10, 100: 5, 1000: 3 };
const WARMUP = 1;

function git(args: string[], cwd: string, ok: number[] = [0]): void {
  // Output is read into this process, as bench/cli.ts's is (same handling on both sides of a CLI ratio).
  const r = spawnSync('git', ['-c', 'gc.auto=0', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  if (!ok.includes(r.status ?? -1)) throw new Error(`git ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

async function main(): Promise<void> {
  for (let i = 0; i < FILES; i++) writeFile(ws, rel(i), body(i));
  // The workspace is also a real repository with everything committed: `git diff` there is a user's own diff after
  // an agent wrote into the tree (git's index and stat cache do their work).
  const env = ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', '-c', 'core.autocrlf=false'];
  git(['init', '-q'], ws);
  git(['add', '-A'], ws);
  git([...env, 'commit', '-q', '-m', 'base'], ws);
  const stride = Math.floor(FILES / 1000);
  const uppers: Record<number, string> = {};
  const bases: Record<number, string> = {};
  for (const n of SIZES) {
    const up = (uppers[n] = path.join(root, `upper${n}`));
    const base = (bases[n] = path.join(root, `base${n}`));
    for (let j = 0; j < n; j++) {
      writeFile(up, rel(j * stride), body(j * stride, true));
      writeFile(base, rel(j * stride), body(j * stride));
    }
  }
  const gen = async (n: number) => {
    const set = await generatePatchSet({ workspace: ws, scan: await scanUpper(uppers[n]), source: 'overlay' });
    if (set.files.length !== n) throw new Error(`expected ${n} files, got ${set.files.length}`);
  };
  const med = (xs: number[]) => percentile(xs, 50);
  const m: Figures = {};
  const b: Figures = {};
  const fig = (n: number, value: number, model: 'in-process' | 'spawned-cli', work: string): Figures[string] => ({
    value,
    unit: 'ms',
    stat: 'median',
    n: RUNS[n as 1],
    warmup: WARMUP,
    model,
    work,
  });
  for (const n of SIZES) {
    // Ours in this process, ours as a spawned CLI, and `git diff --no-index` over exactly the n changed files, in rounds.
    const [ours, cli, noIndex] = await sampleRounds(
      RUNS[n],
      WARMUP,
      () => gen(n),
      () => runOurCli(['patch', ws, uppers[n]]),
      () => git(['diff', '--no-index', '--no-color', bases[n], uppers[n]], root, [1]),
    );
    const files = FILES.toLocaleString('en');
    m[`patch_${n}_ms`] = {
      ...fig(
        n,
        med(ours),
        'in-process',
        `generatePatchSet: scan the upper dir, diff its ${n} changed files against the ${files}-file workspace`,
      ),
      ...(n === 1000 ? { goal: '<= git_diff_repo_1000_ms' } : {}),
    };
    m[`patch_cli_${n}_ms`] = fig(
      n,
      med(cli),
      'spawned-cli',
      'the same through bench/cli.ts (Node + tsx start, scan, generate, JSON to stdout)',
    );
    b[`git_diff_nofiles_${n}_ms`] = fig(
      n,
      med(noIndex),
      'spawned-cli',
      `git diff --no-index: a folder of the ${n} original files against the upper dir`,
    );
    // The same n changes written into the repository's working tree, then `git diff` there; the tree is restored after.
    for (let j = 0; j < n; j++) writeFile(ws, rel(j * stride), body(j * stride, true));
    const repo = await sample(RUNS[n], () => git(['diff', '--no-color'], ws), WARMUP);
    for (let j = 0; j < n; j++) writeFile(ws, rel(j * stride), body(j * stride));
    b[`git_diff_repo_${n}_ms`] = fig(
      n,
      med(repo),
      'spawned-cli',
      `git diff in a repository of ${files} committed files, ${n} changed in the working tree`,
    );
  }

  // Merge of 1,000 hunks: 100 files with 10 separated changes each, planned and applied on the host with the journal.
  const mws = path.join(root, 'mws');
  const mup = path.join(root, 'mup');
  const long = (i: number, changed: boolean) =>
    Array.from({ length: 200 }, (_, k) => (changed && k % 20 === 10 ? `changed ${i}:${k}\n` : `line ${i}:${k}\n`)).join('');
  for (let i = 0; i < 100; i++) writeFile(mup, `m/f${i}.txt`, long(i, true));
  const reset = () => {
    for (let i = 0; i < 100; i++) writeFile(mws, `m/f${i}.txt`, long(i, false));
  };
  reset();
  const mset = await generatePatchSet({ workspace: mws, scan: await scanUpper(mup), source: 'overlay' });
  const hunks = mset.files.reduce((n, f) => n + (f.type === 'modify' ? f.hunks.length : 0), 0);
  if (hunks !== 1000) throw new Error(`expected 1000 hunks, got ${hunks}`);
  const state = Object.fromEntries(mset.files.map((f) => [f.path, { file: 'accept' as const, hunks: {} }]));
  const base = new Map<string, string>();
  const mergeTimes: number[] = [];
  for (let k = 0; k < 6; k++) {
    reset();
    const jd = path.join(root, `journal${k}`);
    const t = performance.now();
    const cur = await readCurrentFiles(mws, mset);
    const plan = planMerge(
      mset,
      state,
      (p) => cur.get(p) ?? null,
      (h) => base.get(h),
    );
    await applyOps(plan.ops, { workspace: mws, journalDir: jd, setId: mset.id });
    if (k) mergeTimes.push(performance.now() - t);
  }

  m.merge_1000_hunks_ms = {
    value: med(mergeTimes),
    unit: 'ms',
    stat: 'median',
    n: mergeTimes.length,
    warmup: 1,
    model: 'in-process',
    work: 'read current files, plan and apply 1,000 hunks in 100 files with the journal',
    goal: '<= 1000',
  };
  // What a scan costs before any file (from sources each walk starts a worker that loads the TypeScript loader), and
  // what starting each CLI costs before any work: context for the figures, never part of a ratio.
  const empty = path.join(root, 'empty-upper');
  fs.mkdirSync(empty);
  const scanMs = await sample(RUNS[1], () => scanUpper(empty), WARMUP);
  const [ourStart, gitStart] = await sampleRounds(
    RUNS[1],
    WARMUP,
    () => runOurCli(['noop']),
    () => git(['--version'], root),
  );
  const ref = (xs: number[], model: 'in-process' | 'spawned-cli', work: string) => fig(1, med(xs), model, work);
  const reference: Figures = {
    scan_empty_upper_ms: ref(
      scanMs,
      'in-process',
      "scanUpper of an empty upper dir: the walk worker's start (from sources it loads tsx; " +
        'the kernel image runs the bundled walk-worker.js)',
    ),
    our_cli_start_ms: ref(ourStart, 'spawned-cli', 'bench/cli.ts noop: Node + tsx start, no work'),
    git_start_ms: ref(gitStart, 'spawned-cli', 'git --version: git start, no work'),
  };
  const ratios: Array<[string, string, string]> = SIZES.flatMap(
    (n) =>
      [
        [`ours as a CLI / git diff --no-index (${n} files)`, `patch_cli_${n}_ms`, `git_diff_nofiles_${n}_ms`],
        [`ours as a CLI / git diff in a repo (${n} files)`, `patch_cli_${n}_ms`, `git_diff_repo_${n}_ms`],
      ] as Array<[string, string, string]>,
  );
  writeResults({
    name: 'patch',
    engine: null,
    metrics: m,
    baselines: b,
    reference,
    ratios,
    notes: [
      'patch_N_ms runs in the kernel process, the git baselines are spawned CLIs: ratios are taken only against ours as a spawned ' +
        'CLI (patch_cli_N_ms), which pays Node and tsx start-up (our_cli_start_ms) where git pays its own (git_start_ms)',
      'run from sources (tsx): every scan starts a walk worker thread that loads the TypeScript loader (scan_empty_upper_ms), a fixed ' +
        'cost the bundled kernel pays less of; it is not subtracted',
    ],
  });
}

main()
  .finally(() => fs.rmSync(root, { recursive: true, force: true, maxRetries: 5 }))
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
