// The provider worker's code and the loader that starts it in a sandbox: the sandbox has none of Airlock's files, so
// `node -e LOADER` reads a length line and that many bytes of code from stdin, then runs the code, which keeps stdin.
import * as fs from 'node:fs';
import { workerEntry } from '../../../../protocol/src/node/assets';
import { AirlockError } from '../../../../protocol/src/errors';

/** Small enough for a command line; holds no secret (the key never enters the sandbox anyway). */
export const WORKER_LOADER = String.raw`
const Module = require('module'); const parts = []; let have = 0; let need = -1;
const take = (c) => { parts.push(c); have += c.length; let all = Buffer.concat(parts);
  if (need < 0) { const nl = all.indexOf(10); if (nl < 0) { if (all.length > 32) process.exit(3); return; }
    need = Number(all.subarray(0, nl).toString()); if (!Number.isSafeInteger(need) || need <= 0) process.exit(3); all = all.subarray(nl + 1);
    parts.length = 0; parts.push(all); have = all.length; }
  if (have < need) return;
  process.stdin.off('data', take); process.stdin.pause();
  const rest = all.subarray(need); if (rest.length) process.stdin.unshift(rest);
  const m = new Module('/airlock/provider-worker.js'); m.filename = '/airlock/provider-worker.js'; m.paths = [];
  m._compile(all.subarray(0, need).toString('utf8'), m.filename); };
process.stdin.on('data', take);`;

let cached: Promise<string> | undefined;

/** The worker bundle (dist/kernel/provider-worker.js), or in a checkout run through tsx, its source bundled now. */
export function providerWorkerSource(): Promise<string> {
  cached ??= load().catch((e: unknown) => {
    cached = undefined;
    throw e;
  });
  return cached;
}

async function load(): Promise<string> {
  const e = workerEntry('provider-worker');
  if (!e)
    throw new AirlockError(
      'PROVIDER_WORKER_MISSING',
      'the provider worker bundle (dist/kernel/provider-worker.js) is missing',
      'run `npm run build`',
    );
  if (!e.ts) return fs.promises.readFile(e.file, 'utf8');
  // A checkout: esbuild is a dev dependency there (the bundles mark it external and never reach this line).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const r = await esbuild.build({
    entryPoints: [e.file],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return r.outputFiles[0].text;
}
