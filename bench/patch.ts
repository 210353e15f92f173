// Patch-set generation for 1/100/1000 changed files in a 50,000-file workspace vs `git diff --no-index`; merge of 1,000 hunks.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { percentile, report, sample } from './lib';
import { generatePatchSet } from '../kernel/src/patches/generate';
import { scanUpper } from '../kernel/src/patches/scan';
import { planMerge } from '../kernel/src/patches/merge-plan';
import { readCurrentFiles } from '../kernel/src/patches/current';
import { applyOps } from '../protocol/src/node/apply';

const FILES = 50_000;
const PER_DIR = 100;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-bench-patch-'));
const ws = path.join(root, 'ws');
const rel = (i: number) => `d${Math.floor(i / PER_DIR)}/f${i % PER_DIR}.ts`;
const body = (i: number, changed = false) => Array.from({ length: 30 }, (_, k) => (changed && k === 15 ? `// changed ${i}\n` : `export const v${k} = ${i * 31 + k};\n`)).join('');

function writeFile(dir: string, r: string, content: string): void {
  const p = path.join(dir, r);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
}

async function main(): Promise<void> {
  for (let i = 0; i < FILES; i++) writeFile(ws, rel(i), body(i));
  const stride = Math.floor(FILES / 1000);
  const uppers: Record<number, string> = {};
  for (const n of [1, 100, 1000]) {
    const up = (uppers[n] = path.join(root, `upper${n}`));
    fs.mkdirSync(up);
    for (let j = 0; j < n; j++) writeFile(up, rel(j * stride), body(j * stride, true));
  }
  const gen = async (n: number) => {
    const set = await generatePatchSet({ workspace: ws, scan: await scanUpper(uppers[n]), source: 'overlay' });
    if (set.files.length !== n) throw new Error(`expected ${n} files, got ${set.files.length}`);
  };
  const med = (xs: number[]) => percentile(xs, 50);
  const p1 = med(await sample(20, () => gen(1), 3));
  const p100 = med(await sample(10, () => gen(100), 2));
  const p1000 = med(await sample(5, () => gen(1000), 1));

  // Baseline: git diff --no-index between the base tree and the sandbox's merged view (same 1,000 changes).
  const merged = path.join(root, 'merged');
  fs.cpSync(ws, merged, { recursive: true });
  fs.cpSync(uppers[1000], merged, { recursive: true });
  const git = med(await sample(3, () => {
    const r = spawnSync('git', ['diff', '--no-index', '--no-color', ws, merged], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
    if (r.status !== 1) throw new Error(`git diff --no-index failed: ${r.stderr}`);
  }, 1));

  // Merge of 1,000 hunks: 100 files with 10 separated changes each, planned and applied on the host with the journal.
  const mws = path.join(root, 'mws');
  const mup = path.join(root, 'mup');
  const long = (i: number, changed: boolean) => Array.from({ length: 200 }, (_, k) => (changed && k % 20 === 10 ? `changed ${i}:${k}\n` : `line ${i}:${k}\n`)).join('');
  for (let i = 0; i < 100; i++) writeFile(mup, `m/f${i}.txt`, long(i, true));
  const reset = () => { for (let i = 0; i < 100; i++) writeFile(mws, `m/f${i}.txt`, long(i, false)); };
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
    const plan = planMerge(mset, state, (p) => cur.get(p) ?? null, (h) => base.get(h));
    await applyOps(plan.ops, { workspace: mws, journalDir: jd, setId: mset.id });
    if (k) mergeTimes.push(performance.now() - t);
  }

  report('patch', {
    patch_1_ms: { value: p1, unit: 'ms' },
    patch_100_ms: { value: p100, unit: 'ms' },
    patch_1000_ms: { value: p1000, unit: 'ms', goal: '<= 1.0x git_diff_1000_ms' },
    git_diff_1000_ms: { value: git, unit: 'ms', goal: 'baseline' },
    merge_1000_hunks_ms: { value: med(mergeTimes), unit: 'ms', goal: '<= 1000' },
  }, [['patch_1000 / git_diff_1000', 'patch_1000_ms', 'git_diff_1000_ms'], ['patch_100 / git_diff_1000', 'patch_100_ms', 'git_diff_1000_ms'], ['patch_1 / git_diff_1000', 'patch_1_ms', 'git_diff_1000_ms']]);
}

main().finally(() => fs.rmSync(root, { recursive: true, force: true })).catch((err) => { console.error(err); process.exitCode = 1; });
