// Builds examples/plugins/hello as its author's `npm run build` would, with the SDK from this checkout (sdk/src), into
// a fresh folder holding only what a plugin ships: airlock-plugin.json and dist/index.js.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const HELLO_DIR = path.join(REPO, 'examples', 'plugins', 'hello');

/** Bundles a plugin's src/index.ts to `<out>/dist/index.js` and writes the manifest it prints (`--manifest`). */
export async function buildPlugin(
  src: string,
  out: string,
  manifestOverride?: (m: Record<string, unknown>) => Record<string, unknown>,
): Promise<string> {
  fs.mkdirSync(path.join(out, 'dist'), { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(src, 'src', 'index.ts')],
    outfile: path.join(out, 'dist', 'index.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'silent',
    alias: { '@airlock/plugin-sdk': path.join(REPO, 'sdk', 'src', 'index.ts') },
    nodePaths: [path.join(REPO, 'node_modules')],
  });
  const printed = JSON.parse(execFileSync(process.execPath, [path.join(out, 'dist', 'index.js'), '--manifest'], { encoding: 'utf8' }));
  const manifest = manifestOverride ? manifestOverride(printed) : printed;
  fs.writeFileSync(path.join(out, 'airlock-plugin.json'), JSON.stringify(manifest, null, 2) + '\n');
  for (const d of [out, path.join(out, 'dist')]) fs.chmodSync(d, 0o755);
  return out;
}
