// Runs output-tree walks (walk-worker.ts) on a worker thread: a sandbox's 150,000 files never freeze the event loop.
import { Worker } from 'node:worker_threads';
import { AirlockError, cancelledError } from '../../../protocol/src/errors';
import { workerEntry } from '../../../protocol/src/node/assets';
import type { WalkEntry, WalkMessage, WalkRequest } from './walk-worker';

export type { WalkEntry } from './walk-worker';

/** A walk that meets more entries than this fails (PATCH_TOO_MANY_ENTRIES) instead of running for minutes. */
export const DEFAULT_MAX_WALK_ENTRIES = 100_000;

/** The worker script, from the asset resolver (the bundled .js beside the kernel bundle, or the .ts source). */
function walkerEntry(): { file: string; ts: boolean } {
  const e = workerEntry('walk-worker');
  if (e) return e;
  throw new AirlockError(
    'PATCH_WALKER_MISSING',
    'the output-tree walker (walk-worker.js) is missing from the kernel bundle',
    'rebuild the kernel (npm run build)',
  );
}

/** One walk on its own short-lived thread; an abort terminates the thread. */
function runWalk(
  req: WalkRequest,
  signal?: AbortSignal,
  onEntries?: (e: WalkEntry[]) => void,
): Promise<Extract<WalkMessage, { type: 'done' }>> {
  signal?.throwIfAborted();
  const entry = walkerEntry();
  // Under tsx the worker must register the TypeScript loader itself; the bundled .js needs nothing.
  const boot = `${entry.ts ? "require('tsx/cjs');" : ''} require(${JSON.stringify(entry.file)});`;
  return new Promise((resolve, reject) => {
    const w = new Worker(boot, { eval: true });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void w.terminate();
      fn();
    };
    const onAbort = () => finish(() => reject(signal?.reason ?? cancelledError('walk')));
    signal?.addEventListener('abort', onAbort, { once: true });
    w.on('message', (m: WalkMessage) => {
      switch (m.type) {
        case 'entries':
          if (!settled) onEntries?.(m.entries);
          break;
        case 'done':
          finish(() => resolve(m));
          break;
        case 'error':
          finish(() => reject(new AirlockError(m.code, m.message, m.hint)));
          break;
        default: {
          const never: never = m;
          finish(() => reject(new Error(`unknown walk message ${JSON.stringify(never)}`)));
        }
      }
    });
    w.on('error', (err) => finish(() => reject(new AirlockError('PATCH_SCAN_FAILED', `the walker thread failed: ${err.message}`))));
    w.on('exit', (code) =>
      finish(() => reject(new AirlockError('PATCH_SCAN_FAILED', `the walker thread exited (${code}) before it finished`))),
    );
    w.postMessage(req);
  });
}

/** Every entry under an output tree, parents first; `xattrs` reads overlay flags (upper dirs). */
export async function walkEntries(root: string, o: { xattrs: boolean; maxEntries?: number; signal?: AbortSignal }): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  await runWalk({ op: 'entries', root, xattrs: o.xattrs, maxEntries: o.maxEntries ?? DEFAULT_MAX_WALK_ENTRIES }, o.signal, (b) => {
    for (const e of b) out.push(e);
  });
  return out;
}

/** Bytes allocated under a tree (sparse files count what they really use). */
export async function treeUsage(root: string, o: { maxEntries?: number; signal?: AbortSignal } = {}): Promise<number> {
  return (await runWalk({ op: 'usage', root, maxEntries: o.maxEntries ?? DEFAULT_MAX_WALK_ENTRIES }, o.signal)).bytes ?? 0;
}

/** Workspace-relative paths an output tree changed (overlay upper dir, or a snapshot compared both ways). */
export async function changedPaths(
  kind: 'overlay' | 'snapshot',
  root: string,
  workspace: string,
  o: { maxEntries?: number; maxResults: number; signal?: AbortSignal },
): Promise<string[]> {
  const r = await runWalk(
    { op: 'changed', kind, root, workspace, maxEntries: o.maxEntries ?? DEFAULT_MAX_WALK_ENTRIES, maxResults: o.maxResults },
    o.signal,
  );
  return r.changed ?? [];
}
