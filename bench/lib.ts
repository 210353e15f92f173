// Benchmark helpers: percentiles, a printed table with ratios against a baseline, and the results file.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Metric { value: number; unit: string; goal?: string }
export type Metrics = Record<string, Metric>;

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

/** Prints a table (metric, value, unit, goal, ratio vs baseline) and writes bench/results/NAME.json. */
export function report(name: string, metrics: Metrics, ratios: Array<[label: string, num: string, den: string]> = []): void {
  const rows = Object.entries(metrics).map(([k, m]) => [k, fmt(m.value), m.unit, m.goal ?? '']);
  for (const [label, a, b] of ratios) {
    if (metrics[a] && metrics[b]) rows.push([label, fmt(metrics[a].value / metrics[b].value), 'x', '']);
  }
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), ['metric', 'value', 'unit', 'goal'][i].length));
  const line = (r: string[]) => r.map((c, i) => (i === 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log(`\n== bench ${name} ==`);
  console.log(line(['metric', 'value', 'unit', 'goal']));
  for (const r of rows) console.log(line(r));
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const out = Object.fromEntries(Object.entries(metrics).map(([k, m]) => [k, { value: m.value, unit: m.unit }]));
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ metrics: out }, null, 2) + '\n');
  console.log(`wrote bench/results/${name}.json`);
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
