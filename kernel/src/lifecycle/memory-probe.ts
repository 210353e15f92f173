// Memory probe (debug; off unless AIRLOCK_MEMORY_PROBE_MS is set): every N ms a full GC, then the process's memory
// appended to <stateDir>/memory-probe.jsonl — what the soak measures growth on (bench/soak, docs/recovery.md#soak).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { z } from 'zod';
import { toDisposable, type IDisposable } from '../../../protocol/src/lifecycle';

export const MEMORY_PROBE_FILE = 'memory-probe.jsonl';

/** One line of the probe's file: bytes right after a full GC at `at` (epoch ms); `rss` read RSS_SETTLE_MS later. */
export const MemorySample = z
  .object({
    at: z.number(),
    rss: z.number().nonnegative(),
    heapUsed: z.number().nonnegative(),
    heapTotal: z.number().nonnegative(),
    external: z.number().nonnegative(),
    arrayBuffers: z.number().nonnegative(),
    gcMs: z.number().nonnegative(),
  })
  .strict();
export type MemorySample = z.infer<typeof MemorySample>;

/** The probe's period; unset, empty, non-numeric or under a second: off (a full GC that often would be the load). */
export function memoryProbeMsFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const n = Number(env.AIRLOCK_MEMORY_PROBE_MS);
  return env.AIRLOCK_MEMORY_PROBE_MS && Number.isFinite(n) && n >= 1000 ? Math.round(n) : undefined;
}

/**
 * A full, synchronous GC of every collectable object ("last resort": repeated until nothing more is freed), which also
 * gives back the pages V8 keeps pooled after a collection — without it RSS after a GC still swung by ±30 MB of pooled
 * pages (same heapTotal). No --expose-gc at start: the flag set at run time exposes `gc` to new contexts.
 */
export function fullGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as (o?: { type: string; execution: string; flavor: string }) => void;
  // Plain gc() first: with options V8 scans the stack conservatively, so it may keep what the caller's frame held.
  return () => {
    gc();
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  };
}

/** V8 gives pages freed by a collection back to the OS on a helper thread: RSS read at once still held 25-50 MB of them. */
export const RSS_SETTLE_MS = 1000;

/** One sample: a full GC, the heap at once (what the process still holds, no garbage), its RSS `settleMs` later. */
export async function sampleMemory(gc: () => void, settleMs = RSS_SETTLE_MS, now = Date.now): Promise<MemorySample> {
  const t0 = performance.now();
  gc();
  const gcMs = performance.now() - t0;
  const m = process.memoryUsage();
  const at = now();
  await new Promise((r) => setTimeout(r, settleMs));
  return {
    at,
    rss: process.memoryUsage.rss(),
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    gcMs: Math.round(gcMs * 10) / 10,
  };
}

/** Samples every `everyMs` into `<stateDir>/memory-probe.jsonl` (one at once, as the baseline); a failed write is
 * reported once and the probe stops — it is a measurement, never a reason for the kernel to fail. */
export function startMemoryProbe(stateDir: string, everyMs: number, log: (l: string) => void): IDisposable {
  const file = path.join(stateDir, MEMORY_PROBE_FILE);
  const gc = fullGc();
  let stopped = false;
  const write = async () => {
    const sample = await sampleMemory(gc);
    if (stopped) return;
    try {
      fs.appendFileSync(file, JSON.stringify(sample) + '\n', { mode: 0o600 });
    } catch (e) {
      stop();
      log(`memory probe stopped: cannot write ${file}: ${(e as Error).message}`);
    }
  };
  const t = setInterval(() => void write(), everyMs);
  t.unref();
  const stop = () => {
    stopped = true;
    clearInterval(t);
  };
  void write();
  log(`memory probe: a full GC and a sample every ${everyMs} ms into ${file}`);
  return toDisposable(stop);
}

/** The samples of a probe file (lines that do not parse are skipped: the last may be half-written). */
export function readMemorySamples(file: string): MemorySample[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((l) => {
      try {
        const r = MemorySample.safeParse(JSON.parse(l));
        return r.success ? [r.data] : [];
      } catch {
        return [];
      }
    });
}
