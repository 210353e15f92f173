// The kernel's memory probe (debug, for the soak): off unless asked for, a full GC before each sample (so garbage not
// yet collected is not counted), samples appended to the state folder, and bootstrap passing the period to the kernel.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { kernelCreateOptions } from '../../../bootstrap/kernel';
import { readConfig, type Paths } from '../../../core/src/config/bootstrap';
import type { Engine } from '../../../core/src/engine/detect';
import {
  fullGc,
  MEMORY_PROBE_FILE,
  memoryProbeMsFromEnv,
  readMemorySamples,
  sampleMemory,
  startMemoryProbe,
} from '../../../kernel/src/lifecycle/memory-probe';

describe('kernel memory probe', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-memprobe-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is off unless AIRLOCK_MEMORY_PROBE_MS asks for a period of at least a second', () => {
    assert.equal(memoryProbeMsFromEnv({}), undefined);
    assert.equal(memoryProbeMsFromEnv({ AIRLOCK_MEMORY_PROBE_MS: '' }), undefined);
    assert.equal(memoryProbeMsFromEnv({ AIRLOCK_MEMORY_PROBE_MS: 'soon' }), undefined);
    assert.equal(memoryProbeMsFromEnv({ AIRLOCK_MEMORY_PROBE_MS: '10' }), undefined);
    assert.equal(memoryProbeMsFromEnv({ AIRLOCK_MEMORY_PROBE_MS: '30000' }), 30_000);
  });

  it('collects garbage before it samples: 30 MB dropped just before is not in heapUsed', async () => {
    const gc = fullGc();
    const before = (await sampleMemory(gc, 0)).heapUsed;
    let junk: number[][] | undefined = Array.from({ length: 30 }, () => Array.from({ length: 130_000 }, (_, i) => i + 0.5));
    assert.ok(junk.length === 30);
    junk = undefined;
    const after = await sampleMemory(gc, 0);
    assert.ok(after.heapUsed - before < 10e6, `heapUsed grew ${((after.heapUsed - before) / 1e6).toFixed(1)} MB after a GC`);
    assert.ok(after.rss > 0 && after.gcMs >= 0);
  });

  it('gives back the pages V8 keeps pooled after a collection (a plain gc() leaves them in RSS, some only a moment later)', async () => {
    const gc = fullGc();
    const plainGc = vm.runInNewContext('gc') as () => void;
    const churn = () => Array.from({ length: 2e6 }, (_, i) => ({ i })).length; // ~100 MB of short-lived objects
    assert.equal(churn(), 2e6);
    plainGc();
    const afterPlain = process.memoryUsage().rss;
    const afterProbe = (await sampleMemory(gc)).rss;
    assert.ok(afterPlain - afterProbe > 20e6, `RSS ${(afterPlain / 1e6).toFixed(0)} → ${(afterProbe / 1e6).toFixed(0)} MB`);
  });

  it('appends a sample at once and one per period to the state folder, and stops when disposed', async () => {
    const lines: string[] = [];
    const probe = startMemoryProbe(dir, 1000, (l) => lines.push(l));
    await new Promise((r) => setTimeout(r, 2400)); // samples start at 0 and 1 s, each written 1 s later (RSS settles)
    probe.dispose();
    const n = readMemorySamples(path.join(dir, MEMORY_PROBE_FILE)).length;
    assert.equal(n, 2);
    await new Promise((r) => setTimeout(r, 2200));
    assert.equal(readMemorySamples(path.join(dir, MEMORY_PROBE_FILE)).length, n, 'no sample after dispose');
    assert.match(lines[0], /every 1000 ms/);
  });

  it('skips a half-written last line', () => {
    const file = path.join(dir, MEMORY_PROBE_FILE);
    const ok = { at: 1, rss: 2, heapUsed: 3, heapTotal: 4, external: 5, arrayBuffers: 6, gcMs: 7 };
    fs.writeFileSync(file, `${JSON.stringify(ok)}\n{"at":2,"rss"`);
    assert.deepEqual(readMemorySamples(file), [ok]);
  });

  it('bootstrap passes memoryProbeMs to the kernel as AIRLOCK_MEMORY_PROBE_MS, and nothing by default', () => {
    const paths: Paths = { id: 'abc', root: dir, state: dir, socketDir: dir, socket: path.join(dir, 's'), token: path.join(dir, 't') };
    const engine = { kind: 'docker', socket: path.join(dir, 'docker.sock'), rootless: false, warnings: [] } as unknown as Engine;
    fs.writeFileSync(engine.socket, '');
    const outputs = { name: 'o', mountpoint: '/o', options: 'size=1', bytes: 1 };
    const envOf = (o: { memoryProbeMs?: number }) =>
      (kernelCreateOptions(engine, readConfig({ workspace: dir, ...o }, { HOME: dir }), paths, 'img', outputs).Env ?? []).filter((e) =>
        e.startsWith('AIRLOCK_MEMORY_PROBE_MS='),
      );
    assert.deepEqual(envOf({}), []);
    assert.deepEqual(envOf({ memoryProbeMs: 30_000 }), ['AIRLOCK_MEMORY_PROBE_MS=30000']);
  });
});
