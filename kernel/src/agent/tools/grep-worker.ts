// Worker thread of search.grep: walks the subtrees it is handed and scans their files, splitting work off to idle threads.
import * as fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { compile, globFilter, type GrepMatch, type GrepQuery, scanBuffer } from './grep-core';
import { IgnoreFile } from './gitignore';
import { TreeReader } from './view';
import { listDir } from './walk';

export interface IgnoreSpec {
  baseRel: string;
  text: string;
}
/** A subtree to walk, or a run of (already listed and filtered) files of one directory. */
export type GrepTask =
  { type: 'dir'; rel: string; ignores: IgnoreSpec[]; useIgnore: boolean } | { type: 'files'; rel: string; names: string[] };
export interface TaskRequest {
  search: number;
  id: number;
  root: string;
  query: GrepQuery;
  limit: number;
  task: GrepTask;
  /** Pool-wide, shared: [0] = idle threads waiting for work (a task claims one before splitting work off). */
  demand: Int32Array;
  /** Per search, shared: [0] = cancelled, [1] = last task id handed out. */
  control: Int32Array;
}
/** A task's output in walk order: runs of matches, and the ids of the tasks split off from it, at their place. */
export type Segment = GrepMatch[] | number;
export type WorkerMessage =
  | { type: 'spawn'; search: number; id: number; task: GrepTask }
  | { type: 'done'; search: number; id: number; segments: Segment[]; searched: number; error?: string };

/** Only runs of at least this many files are split off to another thread. */
const MIN_SPLIT = 256;
// One reusable read buffer: most source files fit, so a file costs open + read + close and no allocation.
const scratch = Buffer.allocUnsafe(1 << 20);

/** Claims one waiting thread, if any: the caller then hands it a piece of its work. */
function claim(demand: Int32Array): boolean {
  let d = Atomics.load(demand, 0);
  while (d > 0) {
    const was = Atomics.compareExchange(demand, 0, d, d - 1);
    if (was === d) return true;
    d = was;
  }
  return false;
}

const ignoreCache = new Map<string, IgnoreFile>();
function ignoresOf(specs: IgnoreSpec[]): IgnoreFile[] {
  if (ignoreCache.size > 256) ignoreCache.clear();
  return specs.map((s) => {
    const k = `${s.baseRel}\0${s.text}`;
    let f = ignoreCache.get(k);
    if (!f) ignoreCache.set(k, (f = new IgnoreFile(s.baseRel, s.text)));
    return f;
  });
}

interface Frame {
  rel: string;
  ignores: IgnoreFile[];
  dirs: string[];
  next: number;
  end: number;
  holes?: number[];
}

class TaskRun {
  readonly segments: Segment[] = [];
  private cur: GrepMatch[] = [];
  private count = 0;
  searched = 0;
  private readonly re: RegExp;
  private readonly literal: Buffer | undefined;
  private readonly filter: ((rel: string) => boolean) | undefined;
  private readonly maxBytes: number;
  /** Every directory and file is opened through this (never by path): symlinks are not followed, even swapped in. */
  readonly reader: TreeReader;

  constructor(
    private readonly req: TaskRequest,
    private readonly post: (m: WorkerMessage) => void,
  ) {
    ({ re: this.re, literal: this.literal } = compile(req.query));
    this.filter = globFilter(req.query.globs);
    this.maxBytes = req.query.maxFileBytes ?? 4 * 1024 * 1024;
    this.reader = new TreeReader(req.root);
  }

  private get stopped(): boolean {
    return this.count >= this.req.limit || Atomics.load(this.req.control, 0) !== 0;
  }

  private hole(task: GrepTask): number {
    const id = Atomics.add(this.req.control, 1, 1) + 1;
    this.post({ type: 'spawn', search: this.req.search, id, task });
    return id;
  }

  private pushHole(id: number): void {
    if (this.cur.length) {
      this.segments.push(this.cur);
      this.cur = [];
    }
    this.segments.push(id);
  }

  finish(): Segment[] {
    if (this.cur.length) this.segments.push(this.cur);
    this.cur = [];
    return this.segments;
  }

  /** Scans `names` (files of directory `rel`) in order; the tail goes to another thread when one is waiting. */
  files(rel: string, names: string[]): void {
    const prefix = rel ? `${rel}/` : '';
    const holes: number[] = [];
    let end = names.length;
    for (let i = 0; i < end; i++) {
      if ((i & 63) === 0) {
        if (this.stopped) return;
        if (end - i >= 2 * MIN_SPLIT && claim(this.req.demand)) {
          const mid = (i + end) >>> 1;
          holes.unshift(this.hole({ type: 'files', rel, names: names.slice(mid, end) }));
          end = mid;
        }
      }
      const name = names[i];
      const fileRel = this.filter || this.literal === undefined ? prefix + name : undefined;
      if (this.filter && !this.filter(fileRel!)) continue;
      const buf = this.read(prefix + name);
      if (!buf) continue;
      this.searched++;
      if (this.literal && buf.indexOf(this.literal) === -1) continue;
      const before = this.cur.length;
      scanBuffer(buf, fileRel ?? prefix + name, this.re, this.literal, this.cur, before + this.req.limit - this.count);
      this.count += this.cur.length - before;
      if (this.count >= this.req.limit) return;
    }
    for (const id of holes) this.pushHole(id);
  }

  /** Walks the subtree at `rel` in walk order (files of a directory, then each subdirectory's subtree by name). */
  walk(rootRel: string, rootIgnores: IgnoreFile[], useIgnore: boolean): void {
    const stack: Frame[] = [];
    const enter = (rel: string, ignores: IgnoreFile[]) => {
      const l = listDir(this.reader, rel, ignores, useIgnore);
      if (!l) return;
      const files: string[] = [],
        dirs: string[] = [];
      for (const e of l.ents) (e.isDirectory() ? dirs : files).push(e.name);
      if (files.length) this.files(rel, files);
      if (dirs.length) stack.push({ rel, ignores: l.ignores, dirs, next: 0, end: dirs.length });
    };
    enter(rootRel, rootIgnores);
    while (stack.length && !this.stopped) {
      const f = stack[stack.length - 1];
      if (f.next < f.end) {
        this.split(stack, useIgnore);
        if (f.next < f.end) {
          const name = f.dirs[f.next++];
          enter(f.rel ? `${f.rel}/${name}` : name, f.ignores);
          continue;
        }
      }
      // The subdirectories handed to other threads come last, in order (splitting always takes from the end).
      if (f.holes) for (let i = f.end; i < f.dirs.length; i++) this.pushHole(f.holes[i]);
      stack.pop();
    }
  }

  /** When a thread is waiting, hands it the last unvisited subdirectory of the shallowest directory that has one. */
  private split(stack: Frame[], useIgnore: boolean): void {
    if (Atomics.load(this.req.demand, 0) <= 0) return;
    const f = stack.find((s) => s.next < s.end);
    if (!f || !claim(this.req.demand)) return;
    const i = --f.end;
    const rel = f.rel ? `${f.rel}/${f.dirs[i]}` : f.dirs[i];
    (f.holes ??= [])[i] = this.hole({ type: 'dir', rel, ignores: f.ignores.map((g) => ({ baseRel: g.baseRel, text: g.text })), useIgnore });
  }

  /** The file's bytes (a view of the scratch buffer when it fits), or undefined when unreadable or too large. */
  private read(rel: string): Buffer | undefined {
    let fd: number;
    try {
      const f = this.reader.openFile(rel);
      if (!f) return undefined;
      fd = f.fd;
    } catch {
      return undefined;
    }
    try {
      const n = fs.readSync(fd, scratch, 0, scratch.length, 0);
      if (n < scratch.length) return n > this.maxBytes ? undefined : scratch.subarray(0, n);
      if (fs.fstatSync(fd).size > this.maxBytes) return undefined;
      return fs.readFileSync(fd);
    } catch {
      return undefined;
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Runs one task; split-off tasks are announced through `post` (the parent port in a worker) before it returns. */
export function runTask(req: TaskRequest, post: (m: WorkerMessage) => void): WorkerMessage {
  const run = new TaskRun(req, post);
  const t = req.task;
  try {
    switch (t.type) {
      case 'files':
        run.files(t.rel, t.names);
        break;
      case 'dir':
        run.walk(t.rel, ignoresOf(t.ignores), t.useIgnore);
        break;
      default: {
        const never: never = t;
        throw new Error(`unknown grep task ${JSON.stringify(never)}`);
      }
    }
  } finally {
    run.reader.close();
  }
  return { type: 'done', search: req.search, id: req.id, segments: run.finish(), searched: run.searched };
}

parentPort?.on('message', (req: TaskRequest) => {
  let msg: WorkerMessage;
  try {
    msg = runTask(req, (m) => parentPort!.postMessage(m));
  } catch (err) {
    msg = { type: 'done', search: req.search, id: req.id, segments: [], searched: 0, error: (err as Error).message };
  }
  parentPort!.postMessage(msg);
});
