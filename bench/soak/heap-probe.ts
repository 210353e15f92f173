// Heap probe for the soak: the soak's task mix against an in-process kernel (real Docker sandboxes), heap snapshots
// after a warm-up and after N more tasks, and what grew between them by constructor (count and bytes) — to find
// what the kernel keeps per task. `npx tsx bench/soak/heap-probe.ts [warmup] [tasks]` (node --expose-gc via tsx).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { inProcessKernel } from '../../test/unit/kernel-harness';
import { KINDS, prepareSlot, runOne } from './tasks';

const CONCURRENCY = 4;

interface Agg {
  count: number;
  size: number;
}

/** Counts and self sizes per "type:name" of a heap snapshot file. */
function aggregate(file: string): Map<string, Agg> {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: unknown[][] } };
    nodes: number[];
    strings: string[];
  };
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0] as string[];
  const [ti, ni, si] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size')];
  const out = new Map<string, Agg>();
  for (let i = 0; i < snap.nodes.length; i += f.length) {
    const type = types[snap.nodes[i + ti]];
    let name = snap.strings[snap.nodes[i + ni]];
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '(string)';
    else if (type === 'code' || type === 'number') name = `(${type})`;
    else name = name.slice(0, 80);
    const k = `${type}:${name}`;
    const a = out.get(k) ?? { count: 0, size: 0 };
    a.count++;
    a.size += snap.nodes[i + si];
    out.set(k, a);
  }
  return out;
}

/** Sizes of every Map, Set and array reachable from `root` (by property path, depth-limited): what grows per task. */
function collectionSizes(root: unknown, maxDepth = 8): Map<string, number> {
  const out = new Map<string, number>();
  const seen = new WeakSet<object>();
  const walk = (v: unknown, p: string, d: number) => {
    if (v === null || typeof v !== 'object' || seen.has(v) || d > maxDepth) return;
    seen.add(v);
    if (v instanceof Map) {
      out.set(p, v.size);
      let i = 0;
      for (const [, x] of v) {
        if (i++ > 3) break;
        walk(x, `${p}[v]`, d + 1);
      }
      return;
    }
    if (v instanceof Set) {
      out.set(p, v.size);
      return;
    }
    if (Array.isArray(v)) {
      out.set(p, v.length);
      for (const x of v.slice(0, 3)) walk(x, `${p}[i]`, d + 1);
      return;
    }
    if (ArrayBuffer.isView(v)) return;
    for (const key of Object.getOwnPropertyNames(v)) {
      let x: unknown;
      try {
        x = (v as Record<string, unknown>)[key];
      } catch {
        continue;
      }
      walk(x, `${p}.${key}`, d + 1);
    }
  };
  walk(root, 's', 0);
  return out;
}

async function main(): Promise<void> {
  const warmup = Number(process.argv[2] ?? 60);
  const n = Number(process.argv[3] ?? 200);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const k = await inProcessKernel({}, { env: { ...process.env, AIRLOCK_ENGINE: 'docker' } });
  for (let s = 0; s < CONCURRENCY; s++) prepareSlot(k.workspace, s);
  const journalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-probe-merges-'));
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = chain.then(f);
    chain = p.catch(() => undefined);
    return p;
  };
  const run = async (count: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, slot) => {
        for (let i = next++; i < count; i = next++) {
          const r = await runOne(
            { client: k.client, workspace: k.workspace, journalDir, serial, timeoutMs: 180_000 },
            KINDS[i % KINDS.length],
            slot,
          );
          if (r.problem) console.log(`problem: ${r.problem}`);
        }
      }),
    );
  };
  const mb = (x: number) => (x / 1e6).toFixed(1);
  const heap = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    console.log(
      `rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)}`,
    );
    return m.heapUsed / 1e6;
  };
  await run(warmup);
  await new Promise((r) => setTimeout(r, 2000));
  const h0 = heap();
  const c0 = collectionSizes(k.services);
  // Writing a snapshot grows RSS by itself: PROBE_SNAPSHOTS=0 measures RSS alone.
  const snapshots = process.env.PROBE_SNAPSHOTS !== '0';
  const s0 = snapshots ? v8.writeHeapSnapshot(path.join(os.tmpdir(), 'probe-0.heapsnapshot')) : '';
  const t0 = Date.now();
  for (let done = 0; done < n; done += 50) {
    await run(Math.min(50, n - done));
    const m = process.memoryUsage();
    console.log(`after ${done + 50}: rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)}`);
  }
  await new Promise((r) => setTimeout(r, 2000));
  const h1 = heap();
  const s1 = snapshots ? v8.writeHeapSnapshot(path.join(os.tmpdir(), 'probe-1.heapsnapshot')) : '';
  for (const [p, size] of collectionSizes(k.services)) {
    const before = c0.get(p) ?? 0;
    if (size - before >= n / 20) console.log(`grew: ${p} ${before} → ${size}`);
  }
  console.log(
    `${n} tasks in ${((Date.now() - t0) / 1000).toFixed(0)} s: heap ${h0.toFixed(1)} → ${h1.toFixed(1)} MB (${(((h1 - h0) * 1e3) / n).toFixed(1)} KB/task)`,
  );
  if (!snapshots) {
    k.dispose();
    await new Promise((r) => setTimeout(r, 5000));
    process.exit(0);
  }
  const a0 = aggregate(s0);
  const a1 = aggregate(s1);
  const rows = [...a1]
    .map(([key, a]) => ({ key, dc: a.count - (a0.get(key)?.count ?? 0), ds: a.size - (a0.get(key)?.size ?? 0) }))
    .sort((x, y) => y.ds - x.ds)
    .slice(0, 40);
  for (const r of rows) console.log(`${(r.ds / 1e3).toFixed(1).padStart(9)} KB ${String(r.dc).padStart(7)}  ${r.key}`);
  console.log(`snapshots: ${s0} ${s1}`);
  k.dispose();
  await new Promise((r) => setTimeout(r, 5000)); // the runtime removes its pools
  fs.rmSync(journalDir, { recursive: true, force: true });
  process.exit(0);
}

void main();
