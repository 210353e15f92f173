// Memory probe (debug; off unless AIRLOCK_MEMORY_PROBE_MS is set): every N ms a full GC, then the process's memory
// appended to <stateDir>/memory-probe.jsonl — what the soak measures growth on (bench/soak, docs/recovery.md#soak).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { z } from 'zod';
import { toDisposable, type IDisposable } from '../../../protocol/src/lifecycle';

export const MEMORY_PROBE_FILE = 'memory-probe.jsonl';

/** One line of the probe's file: bytes, right after a full GC (`at`: epoch ms). */
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

/** One sample: full GC, then memoryUsage — what the process still holds, not garbage not yet collected. */
export function sampleMemory(gc: () => void, now = Date.now): MemorySample {
  const t0 = performance.now();
  gc();
  const gcMs = performance.now() - t0;
  const m = process.memoryUsage();
  return {
    at: now(),
    rss: m.rss,
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
  const write = () => {
    try {
      fs.appendFileSync(file, JSON.stringify(sampleMemory(gc)) + '\n', { mode: 0o600 });
    } catch (e) {
      clearInterval(t);
      log(`memory probe stopped: cannot write ${file}: ${(e as Error).message}`);
    }
  };
  const t = setInterval(write, everyMs);
  t.unref();
  write();
  log(`memory probe: a full GC and a sample every ${everyMs} ms into ${file}`);
  return toDisposable(() => clearInterval(t));
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
