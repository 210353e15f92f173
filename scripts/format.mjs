// Prettier over the product, its tests and scripts (config: .prettierrc.json, .prettierignore). `--check` fails on
// any file that is not formatted (npm test runs it); without it, files are rewritten in place.
// Prettier lives in tools/lint with ESLint (its own dependencies; scripts/setup.sh installs them).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const bin = path.join(root, 'tools', 'lint', 'node_modules', '.bin', 'prettier');
if (!fs.existsSync(bin)) {
  console.error(
    'error LINT_TOOLS_MISSING: Prettier is not installed in tools/lint\n  hint: npm ci --prefix tools/lint (scripts/setup.sh does it)',
  );
  process.exit(2);
}
const dirs = [
  'protocol',
  'core',
  'kernel',
  'bootstrap',
  'cli',
  'extension',
  'webview',
  'templates',
  'plugins',
  'test',
  'bench',
  'scripts',
  'sdk',
  'native',
  'tools/lint',
];
const check = process.argv.includes('--check');
const globs = dirs.filter((d) => fs.existsSync(path.join(root, d))).map((d) => `${d}/**/*.{ts,tsx,mts,js,mjs,cjs}`);
const args = [check ? '--check' : '--write', '--log-level', check ? 'warn' : 'log', '--no-error-on-unmatched-pattern', ...globs];
const r = spawnSync(bin, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0 && check) console.error('error FORMAT_CHECK: files above are not formatted\n  hint: npm run format');
process.exit(r.status ?? 1);
