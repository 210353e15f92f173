// `npm run lint` part two: ESLint's type-aware rules (tools/lint/eslint.config.mjs) over the product and its tests.
// tools/lint has its own dependencies (typescript-eslint needs TypeScript < 6.1; the project builds with 7): setup.sh
// installs them. `--fix` applies the fixes ESLint can make (type-only imports).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const bin = path.join(root, 'tools', 'lint', 'node_modules', '.bin', 'eslint');
if (!fs.existsSync(bin)) {
  console.error(
    'error LINT_TOOLS_MISSING: ESLint is not installed in tools/lint\n  hint: npm ci --prefix tools/lint (scripts/setup.sh does it)',
  );
  process.exit(2);
}
const dirs = ['protocol', 'core', 'kernel', 'bootstrap', 'cli', 'extension', 'webview', 'templates', 'plugins', 'test', 'bench'].filter(
  (d) => fs.existsSync(path.join(root, d)),
);
const args = [
  '-c',
  path.join(root, 'tools', 'lint', 'eslint.config.mjs'),
  '--no-config-lookup',
  '--max-warnings',
  '0',
  ...process.argv.slice(2),
  ...dirs,
];
const r = spawnSync(bin, args, { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
