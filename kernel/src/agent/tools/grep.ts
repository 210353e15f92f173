// search.grep runner: a small pool of worker threads walks and scans disjoint subtrees; results come back in walk order.
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { cancelledError } from '../../../../protocol/src/errors';
import { workerEntry } from '../../../../protocol/src/node/assets';
import { compile, type GrepMatch, type GrepQuery, type GrepResult, grepSync } from './grep-core';
import type { GrepTask, Segment, TaskRequest, WorkerMessage } from './grep-worker';
import type { TreeRoot } from './view';
import { ignoresAbove } from './walk';

const IDLE_MS = 2000;

interface Search {
  base: Omit<TaskRequest, 'id' | 'task'>;
  outstanding: number;
  results: Map<number, { segments: Segment[]; searched: number }>;
  resolve(r: GrepResult): void;
  reject(e: unknown): void;
}

class Pool {
  private readonly workers: Worker[] = [];
  private idle: Worker[] = [];
  private queue: TaskRequest[] = [];
  private readonly searches = new Map<number, Search>();
  /** Shared with the workers: how many threads wait for work, so a busy one splits part of its subtree off. */
  private readonly demand = new Int32Array(new SharedArrayBuffer(4));
  private nextSearch = 1;
  private disposed = false;

  constructor(entry: { file: string; ts: boolean }, size: number) {
    // Under tsx the worker must register the TypeScript loader itself; the bundled .js needs nothing.
    const boot = `${entry.ts ? "require('tsx/cjs');" : ''} require(${JSON.stringify(entry.file)});`;
    for (let i = 0; i < size; i++) {
      const w = new Worker(boot, { eval: true });
      w.unref(); // an idle pool never keeps the kernel (or a test run) alive
      w.on('message', (m: WorkerMessage) => this.onMessage(w, m));
      w.on('error', (err) => this.fail(err));
      w.on('exit', () => this.fail(new Error('a search.grep worker thread exited')));
      this.workers.push(w);
      this.idle.push(w);
    }
    this.updateDemand();
  }

  /** Called once the pool has been idle for IDLE_MS (threads are not kept around between searches for long). */
  onIdle?: () => void;
  private idleTimer?: NodeJS.Timeout;

  search(root: string, q: GrepQuery, task: GrepTask, limit: number, signal: AbortSignal): Promise<GrepResult> {
    clearTimeout(this.idleTimer);
    const control = new Int32Array(new SharedArrayBuffer(8));
    return new Promise<GrepResult>((resolve, reject) => {
      const id = this.nextSearch++;
      const onAbort = () => {
        Atomics.store(control, 0, 1);
        this.searches.delete(id);
        reject(signal.reason ?? cancelledError('search'));
      };
      const done = () => signal.removeEventListener('abort', onAbort);
      this.searches.set(id, {
        base: { search: id, root, query: q, limit, demand: this.demand, control },
        outstanding: 1,
        results: new Map(),
        resolve: (r) => {
          done();
          resolve(r);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      signal.addEventListener('abort', onAbort, { once: true });
      this.enqueue({ search: id, root, query: q, limit, demand: this.demand, control, id: 0, task });
    });
  }

  private onMessage(w: Worker, m: WorkerMessage): void {
    const s = this.searches.get(m.search);
    switch (m.type) {
      case 'spawn':
        // Arrives before the parent task's 'done' (one port, in order), so `outstanding` never reaches 0 too early.
        if (s) {
          s.outstanding++;
          this.enqueue({ ...s.base, id: m.id, task: m.task });
        }
        return;
      case 'done':
        this.idle.push(w);
        this.pump();
        if (s) this.taskDone(s, m);
        return;
      default: {
        const never: never = m;
        throw new Error(`unknown grep worker message ${JSON.stringify(never)}`);
      }
    }
  }

  private taskDone(s: Search, m: Extract<WorkerMessage, { type: 'done' }>): void {
    if (m.error) {
      this.searches.delete(m.search);
      s.reject(new Error(m.error));
      return;
    }
    s.results.set(m.id, { segments: m.segments, searched: m.searched });
    if (--s.outstanding > 0) return;
    this.searches.delete(m.search);
    s.resolve(assemble(s.results, s.base.limit));
  }

  private enqueue(req: TaskRequest): void {
    this.queue.push(req);
    this.pump();
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) this.idle.pop()!.postMessage(this.queue.shift()!);
    this.updateDemand();
    if (this.idle.length === this.workers.length && !this.queue.length) {
      // The TypeScript loader used under tsx keeps a worker's event loop alive, so idle threads are ended explicitly.
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => this.onIdle?.(), IDLE_MS);
      this.idleTimer.unref();
    }
  }

  private updateDemand(): void {
    Atomics.store(this.demand, 0, Math.max(0, this.idle.length - this.queue.length));
  }

  /** A thread died: every search in flight fails (with the reason) and the pool is replaced on the next search. */
  private fail(err: Error): void {
    if (this.disposed) return;
    this.dispose();
    if (pool === this) pool = undefined;
    for (const s of this.searches.values()) s.reject(err);
    this.searches.clear();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.idleTimer);
    for (const w of this.workers) void w.terminate();
  }
}

/** Concatenates the tasks' segments in walk order (a split-off task's output stands where its id does). */
export function assemble(results: Map<number, { segments: Segment[]; searched: number }>, limit: number): GrepResult {
  const matches: GrepMatch[] = [];
  let filesSearched = 0;
  for (const r of results.values()) filesSearched += r.searched;
  const visit = (id: number): void => {
    for (const seg of results.get(id)!.segments) {
      if (matches.length >= limit) return;
      if (typeof seg === 'number') visit(seg);
      else for (let i = 0; i < seg.length && matches.length < limit; i++) matches.push(seg[i]);
    }
  };
  visit(0);
  return { matches, filesSearched, truncated: matches.length >= limit };
}

let pool: Pool | undefined | null;
function getPool(): Pool | undefined {
  if (pool === undefined) {
    const entry = workerEntry('grep-worker');
    pool = entry ? new Pool(entry, Math.max(1, Math.min(4, os.availableParallelism()))) : null;
    if (pool) {
      const p = pool;
      p.onIdle = () => {
        if (pool === p) disposeGrepPool();
      };
    }
  }
  return pool ?? undefined;
}

export function disposeGrepPool(): void {
  pool?.dispose();
  pool = undefined;
}

/** Parallel grep with results in walk order (the same as grepSync); falls back to one thread without workers, and
 * a task's overlay view (an OverlayTree) is searched on this thread. */
export async function grep(root: TreeRoot, q: GrepQuery, signal: AbortSignal): Promise<GrepResult> {
  compile(q); // bad regex: fail here, on the caller's thread, with the SyntaxError message
  if (signal.aborted) throw signal.reason ?? cancelledError('search');
  const p = getPool();
  if (!p || typeof root !== 'string') return grepSync(root, q, signal);
  const rel = q.path ?? '';
  const useIgnore = q.gitignore !== false;
  const ignores = useIgnore ? ignoresAbove(root, rel).map((f) => ({ baseRel: f.baseRel, text: f.text })) : [];
  return p.search(root, q, { type: 'dir', rel, ignores, useIgnore }, q.maxResults ?? 200, signal);
}
