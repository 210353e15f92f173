// `node scripts/bench-docs.mjs [--check | --publish NAME...]`: regenerates the bench blocks in docs/*.md from
// bench/published/NAME.json (--publish copies bench/results/NAME.json there first; --check only compares). See bench/docs.ts.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const entry = path.join(import.meta.dirname, '..', 'bench', 'docs.ts');
const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', entry, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
