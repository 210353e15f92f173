// `npm run bench -- NAME [NAME...]`: runs bench/NAME.ts (all when no name is given) with tsx.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const dir = path.join(import.meta.dirname, '..', 'bench');
// A benchmark is a bench/*.ts that writes its results; the rest (lib, cli, docs, schema, plugin-stages) are its helpers.
const all = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'lib.ts' && /\bwriteResults\(/.test(fs.readFileSync(path.join(dir, f), 'utf8')))
  .map((f) => f.slice(0, -3));
const names = process.argv.slice(2).length ? process.argv.slice(2) : all;
let failed = 0;
for (const name of names) {
  if (!all.includes(name)) {
    console.error(`error BENCH_UNKNOWN: no benchmark named ${name}\n  hint: one of ${all.join(', ')} (the soak is \`npm run soak\`)`);
    process.exit(2);
  }
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', '--expose-gc', path.join(dir, `${name}.ts`)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
