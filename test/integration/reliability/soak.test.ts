// The soak (docker): 10 minutes at concurrency 4 of the mixed replayed tasks (bench/soak), the kernel's memory
// sampled after a full GC; longer runs are for releases (`npm run soak -- --minutes 60 --concurrency 4`, docs/recovery.md).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HEAP_BUDGET_MB, runSoak } from '../../../bench/soak/run';
import { KINDS } from '../../../bench/soak/tasks';

/** The whole report (samples included), passed or failed, for the post-mortem and the memory trend. */
const ARTIFACTS = path.resolve(__dirname, '../../../test-artifacts');
const MINUTES = 10;
/**
 * The native side of the kernel's RSS after GC (V8's pages outside its heap, malloc's arenas) moved by -24..+29 MB per
 * 10 minutes between runs of the same kernel on this machine, so the issue's 20 MB goal is a benchmark figure
 * (`npm run soak`, bench/results/soak.json, which fails above it), not a CI pass/fail line. CI holds the JS heap after
 * GC to the goal (where a leak of objects shows) and RSS to a coarse bound a steady native leak of 6 MB a minute crosses.
 */
const CI_RSS_BOUND_MB = 60;

describe('soak: 10 minutes at concurrency 4 (docker)', function () {
  // The run, the 60 s settle, the kernel's start and the teardown.
  this.timeout((MINUTES + 6) * 60_000);

  it('every task ends as it must, no orphan, no lost audit entry, no leak: JS heap after GC ≤ 20 MB / 10 min, RSS ≤ 60', async () => {
    const r = await runSoak({
      minutes: MINUTES,
      concurrency: 4,
      rssBudgetMb: CI_RSS_BOUND_MB,
      log: (l) => process.stdout.write(`      ${l}\n`),
    });
    const g = r.growth;
    process.stdout.write(
      `      ${r.tasks} tasks (${r.tasksPerMin.toFixed(1)}/min), overhead p50 ${r.overheadP50Ms} ms p95 ${r.overheadP95Ms} ms; ` +
        `per 10 min after a full GC: RSS ${g.rssMb.toFixed(1)} MB, heap ${g.heapMb.toFixed(1)} MB ` +
        `(committed ${g.heapTotalMb.toFixed(1)} MB), external ${g.externalMb.toFixed(1)} MB; ` +
        `raw RSS trend ${g.rawRssTrendMb.toFixed(1)} MB, floor ${g.rawRssFloorMb.toFixed(1)} MB; fd growth ${g.fds.toFixed(0)}; ` +
        `${r.samples.length} samples, ${r.probe.length} after GC\n`,
    );
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fs.writeFileSync(path.join(ARTIFACTS, 'soak-report.json'), JSON.stringify(r, null, 2));
    assert.deepEqual(r.failures, []);
    for (const k of KINDS) assert.ok(r.byKind[k] > 0, `the mix ran ${k} tasks`);
    assert.ok(r.samples.length >= 100, `sampled every 5 s throughout (${r.samples.length})`);
    // The kernel's memory probe answered all run long (one sample every 15 s): the growth below is measured, not NaN.
    assert.ok(r.probe.length >= 35, `samples after a full GC (${r.probe.length})`);
    assert.ok(Number.isFinite(g.heapMb) && g.heapMb <= HEAP_BUDGET_MB, `kernel JS heap after GC grows ${g.heapMb} MB per 10 min`);
    assert.ok(Number.isFinite(g.rssMb) && g.rssMb <= CI_RSS_BOUND_MB, `kernel RSS after GC grows ${g.rssMb} MB per 10 min`);
    assert.deepEqual(r.orphans, []);
    assert.equal(r.lostEntries, 0);
  });
});
