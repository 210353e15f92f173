// Builds the SDK a plugin author installs: one CommonJS bundle (the protocol's manifest schema inside it; the MCP SDK
// and zod stay dependencies) and its type declarations.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));
rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });
await esbuild.build({
  entryPoints: [`${here}src/index.ts`],
  outfile: `${here}dist/index.js`,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['@modelcontextprotocol/sdk', 'zod'],
  sourcemap: true,
  legalComments: 'none',
});
const tsc = path.join(path.dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', `${here}tsconfig.json`], { stdio: 'inherit' });
