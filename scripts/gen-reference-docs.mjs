// `node scripts/gen-reference-docs.mjs [--check]` (npm run docs:gen): regenerates docs/api.md and docs/errors.md from the
// protocol's schemas and the product's error call sites (--check only compares). See scripts/reference-docs/main.ts.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const entry = path.join(import.meta.dirname, 'reference-docs', 'main.ts');
const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', entry, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
