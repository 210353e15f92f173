// The soak's growth measure: the floor of the samples (what stays after collection), so the ±20 MB swings of garbage
// not yet collected neither fail a flat run nor hide a rising one; samples after the last task are left out.
import * as assert from 'node:assert/strict';
import { growthOf, type Sample } from '../../../bench/soak/run';

const RUN_MS = 600_000;
/** One sample every 5 s over the run: `base(t)` plus a swing of `swing` MB on every other sample. */
const series = (base: (t: number) => number, swing: number, extra: Sample[] = []): Sample[] => [
  ...Array.from({ length: 121 }, (_, i) => ({
    atS: i * 5,
    rssMb: base(i * 5) + (i % 2 ? swing : 0),
    fds: 50,
    containers: 5,
    volumes: 5,
    outputVolumes: 0,
  })),
  ...extra,
];

describe('soak: kernel growth measure', () => {
  it('a flat floor with large swings (uncollected garbage peaking at the ends) is no growth', () => {
    // The swings are high where a few end samples would land, low in between: a mean of end samples read +25 MB.
    const s = series(() => 250, 0).map((x) => ({ ...x, rssMb: x.rssMb + (x.atS > 580 && x.atS % 10 ? 25 : 0) }));
    assert.ok(Math.abs(growthOf(s, RUN_MS).rssMb) < 1);
  });

  it('a rising floor is growth, whatever the swings', () => {
    const g = growthOf(
      series((t) => 200 + t * 0.1, 20),
      RUN_MS,
    ).rssMb; // +0.1 MB/s under a 20 MB swing
    assert.ok(g > 25 && g < 50, `growth ${g}`);
  });

  it('ignores samples after the run (the settle, when RSS falls back)', () => {
    const s = series((t) => 200 + t * 0.1, 0, [{ atS: 660, rssMb: 150, fds: 40, containers: 4, volumes: 2, outputVolumes: 0 }]);
    assert.ok(growthOf(s, RUN_MS).rssMb > 25);
  });

  it('NaN with no samples in a window', () => {
    assert.ok(Number.isNaN(growthOf([], RUN_MS).rssMb));
  });
});
