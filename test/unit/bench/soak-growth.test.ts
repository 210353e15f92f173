// The soak's growth measures (bench/soak/growth.ts): the kernel's memory after a full GC as a robust trend per 10
// minutes once warm (a steady leak reads as itself, warm-up and outliers do not), and the floor measure for open fds.
import * as assert from 'node:assert/strict';
import { floorGrowth, theilSen, trendPer10Min, warmupS, type Point } from '../../../bench/soak/growth';
import { growthOf, type ProbeSample, type Sample } from '../../../bench/soak/run';

const RUN_S = 600;
/** One point every 10 s over the run. */
const series = (f: (t: number, i: number) => number, everyS = 10, untilS = RUN_S): Point[] =>
  Array.from({ length: Math.floor(untilS / everyS) + 1 }, (_, i) => ({ atS: i * everyS, v: f(i * everyS, i) }));

/** The trend of `f` sampled every `everyS` over a run of `runS`. */
const trend = (f: (t: number, i: number) => number, everyS = 10, runS = RUN_S) => trendPer10Min(series(f, everyS, runS), runS);

describe('soak: kernel growth measure', () => {
  it('a steady leak of 1 MB a minute reads as 10 MB per 10 minutes, whatever the run length', () => {
    assert.ok(Math.abs(trend((t) => 150 + t / 60) - 10) < 0.01);
    assert.ok(Math.abs(trend((t) => 150 + t / 60, 10, 360) - 10) < 0.01);
  });

  it('warm-up growth that levels off is not growth: +40 MB in the first 2 minutes, flat after', () => {
    const g = trend((t) => 150 + Math.min(t, 120) / 3);
    assert.ok(Math.abs(g) < 0.01, `growth ${g}`);
  });

  it('outliers do not move it: a third of the samples 25 MB high at the end of a flat run', () => {
    const f = (t: number, i: number) => 200 + (t > 400 && i % 3 === 0 ? 25 : 0);
    assert.ok(Math.abs(trend(f)) < 1, `growth ${trend(f)}`);
    // A least-squares line through the same points rises by several MB: the robustness is the point.
    const ps = series(f).filter((p) => p.atS >= 120);
    const mx = ps.reduce((a, p) => a + p.atS, 0) / ps.length;
    const my = ps.reduce((a, p) => a + p.v, 0) / ps.length;
    const ls = ps.reduce((a, p) => a + (p.atS - mx) * (p.v - my), 0) / ps.reduce((a, p) => a + (p.atS - mx) ** 2, 0);
    assert.ok(ls * 600 > 5, `least squares ${ls * 600}`);
  });

  it('a leak under noise still reads as a leak', () => {
    const noise = (i: number) => ((i * 7919) % 13) - 6; // ±6 MB, deterministic
    const g = trend((t, i) => 180 + (t * 30) / 600 + noise(i));
    assert.ok(g > 25 && g < 35, `growth ${g}`);
  });

  it('NaN when too little follows the warm-up (a 2-minute run cannot measure a rate per 10 minutes)', () => {
    assert.ok(Number.isNaN(trend(() => 1, 10, 120)));
    assert.ok(Number.isNaN(trend(() => 1, 90)), 'one point every 90 s: too few');
    assert.ok(Number.isNaN(theilSen([])));
    assert.equal(warmupS(600), 120);
    assert.equal(warmupS(240), 60);
  });

  it('floor growth: the lowest of the last quarter minus the lowest of the second, samples after the run left out', () => {
    const ps = [...series((t) => 50 + (t >= 450 ? 3 : 0) + (t % 20 ? 10 : 0)), { atS: 660, v: 0 }];
    assert.equal(floorGrowth(ps, RUN_S), 3);
    assert.ok(Number.isNaN(floorGrowth([], RUN_S)));
  });

  it("growthOf: the soak's RSS measure is the probe's (after a full GC), not the raw samples'", () => {
    const samples: Sample[] = series((t, i) => 200 + (i % 2 ? 30 : 0) + t / 20, 5).map((p) => ({
      atS: p.atS,
      rssMb: p.v,
      fds: 50,
      containers: 5,
      volumes: 5,
      outputVolumes: 0,
    }));
    const probe: ProbeSample[] = series((t) => 170 + t / 600).map((p) => ({
      atS: p.atS,
      rssMb: p.v,
      heapMb: 40,
      heapTotalMb: 60,
      externalMb: 20,
      gcMs: 30,
    }));
    const g = growthOf(samples, probe, RUN_S * 1000);
    assert.ok(Math.abs(g.rssMb - 1) < 0.01, `probe RSS ${g.rssMb}`);
    assert.ok(Math.abs(g.rawRssTrendMb - 30) < 0.5, `raw RSS ${g.rawRssTrendMb}`);
    assert.equal(g.heapMb, 0);
    assert.equal(g.fds, 0);
  });
});
