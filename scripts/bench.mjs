// `npm run bench -- NAME [NAME...]`: runs bench/NAME.ts (all when no name is given) with tsx.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const dir = path.join(import.meta.dirname, '..', 'bench');
const all = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'lib.ts')
  .map((f) => f.slice(0, -3));
const names = process.argv.slice(2).length ? process.argv.slice(2) : all;
let failed = 0;
for (const name of names) {
  if (!all.includes(name)) {
    console.error(`error BENCH_UNKNOWN: no benchmark named ${name}\n  hint: one of ${all.join(', ')}`);
    process.exit(2);
  }
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', '--expose-gc', path.join(dir, `${name}.ts`)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
