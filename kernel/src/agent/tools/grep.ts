// search.grep runner: walks on the calling thread and fans chunks of files out to a small pool of worker threads.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { cancelledError } from '../../../../protocol/src/errors';
import { compile, globFilter, GrepMatch, GrepQuery, GrepResult, grepSync } from './grep-core';
import type { ChunkRequest, ChunkResponse } from './grep-worker';
import { walk } from './walk';

const CHUNK = 1024;
const IDLE_MS = 2000;

/** Finds the worker script: the bundled .js next to the kernel bundle, or the .ts source under tsx. */
function workerEntry(): { file: string; ts: boolean } | undefined {
  for (const [file, ts] of [[path.join(__dirname, 'grep-worker.js'), false], [path.join(__dirname, 'grep-worker.ts'), true]] as const) {
    if (fs.existsSync(file)) return { file, ts };
  }
  return undefined;
}

class Pool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, (r: ChunkResponse) => void>();
  private idle: Worker[] = [];
  private queue: Array<{ req: ChunkRequest; done: (r: ChunkResponse) => void }> = [];
  private nextId = 1;

  constructor(entry: { file: string; ts: boolean }, size: number) {
    // Under tsx the worker must register the TypeScript loader itself; the bundled .js needs nothing.
    const boot = `${entry.ts ? "require('tsx/cjs');" : ''} require(${JSON.stringify(entry.file)});`;
    for (let i = 0; i < size; i++) {
      const w = new Worker(boot, { eval: true });
      w.unref(); // an idle pool never keeps the kernel (or a test run) alive
      w.on('message', (r: ChunkResponse) => { this.waiting.get(r.id)?.(r); this.waiting.delete(r.id); this.release(w); });
      w.on('error', () => { /* a failed chunk is reported by its pending promise timing out into the fallback */ });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  /** Called once the pool has been idle for IDLE_MS (threads are not kept around between searches for long). */
  onIdle?: () => void;
  private idleTimer?: NodeJS.Timeout;

  run(req: Omit<ChunkRequest, 'id'>): Promise<ChunkResponse> {
    clearTimeout(this.idleTimer);
    return new Promise((done) => { this.queue.push({ req: { ...req, id: this.nextId++ }, done }); this.pump(); });
  }

  private release(w: Worker): void {
    this.idle.push(w);
    this.pump();
    if (this.idle.length === this.workers.length && !this.queue.length) {
      // The TypeScript loader used under tsx keeps a worker's event loop alive, so idle threads are ended explicitly.
      this.idleTimer = setTimeout(() => this.onIdle?.(), IDLE_MS);
      this.idleTimer.unref();
    }
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const { req, done } = this.queue.shift()!;
      this.waiting.set(req.id, done);
      w.postMessage(req);
    }
  }

  dispose(): void { clearTimeout(this.idleTimer); for (const w of this.workers) void w.terminate(); }
}

let pool: Pool | undefined | null;
function getPool(): Pool | undefined {
  if (pool === undefined) {
    const entry = workerEntry();
    pool = entry ? new Pool(entry, Math.max(1, Math.min(4, os.availableParallelism()))) : null;
    if (pool) { const p = pool; p.onIdle = () => { if (pool === p) disposeGrepPool(); }; }
  }
  return pool ?? undefined;
}

export function disposeGrepPool(): void { pool?.dispose(); pool = undefined; }

/** Parallel grep with results in walk order (the same order as grepSync); falls back to one thread without workers. */
export async function grep(root: string, q: GrepQuery, signal: AbortSignal): Promise<GrepResult> {
  compile(q); // bad regex: fail here, on the caller's thread, with the SyntaxError message
  const p = getPool();
  if (!p) return grepSync(root, q, signal);
  const filter = globFilter(q.globs);
  const limit = q.maxResults ?? 200;
  const pending: Array<Promise<ChunkResponse>> = [];
  let files: string[] = [], rels: string[] = [];
  const flush = () => { if (files.length) pending.push(p.run({ query: q, files, rels, limit })); files = []; rels = []; };
  for (const e of walk(root, q.path ?? '', { gitignore: q.gitignore, signal })) {
    if (e.isDir || (filter && !filter(e.rel))) continue;
    files.push(e.abs); rels.push(e.rel);
    if (files.length >= CHUNK) flush();
  }
  flush();
  const matches: GrepMatch[] = [];
  let filesSearched = 0, truncated = false;
  for (const r of await abortable(Promise.all(pending), signal)) {
    if (r.error) throw new Error(r.error);
    filesSearched += r.searched;
    for (const m of r.matches) {
      if (matches.length >= limit) { truncated = true; break; }
      matches.push(m);
    }
    if (r.matches.length >= limit) truncated = true;
  }
  return { matches, filesSearched, truncated };
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason ?? cancelledError('search'));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? cancelledError('search'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => { signal.removeEventListener('abort', onAbort); resolve(v); }, reject);
  });
}
