// The soak's growth measures: the trend of the kernel's memory after a full GC (its memory probe), as MB per 10 minutes,
// fitted robustly once warm; and the floor measure kept for open fds (and, for comparison, raw RSS).

/** A sample of the process (seconds into the run, MB, or a count). */
export interface Point {
  atS: number;
  v: number;
}

/** The fit starts after this warm-up (pools filled, code paths compiled, the heap sized): at most 2 minutes. */
export const warmupS = (runS: number) => Math.min(120, runS / 4);
/** Fewer points than this, or less time than this after the warm-up: no measure (NaN), and the soak fails rather than
 * extrapolate a minute of noise to ten (a run of about 6 minutes or more measures). */
export const MIN_FIT_POINTS = 8;
export const MIN_FIT_S = 240;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Theil–Sen slope: the median of the slopes between every pair of points. Unlike a least-squares line it is not
 * pulled by a few outliers (a sample taken mid-burst, a GC that freed late), and unlike two end windows it uses the
 * whole run.
 */
export function theilSen(ps: Point[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < ps.length; i++)
    for (let j = i + 1; j < ps.length; j++) if (ps[j].atS !== ps[i].atS) slopes.push((ps[j].v - ps[i].v) / (ps[j].atS - ps[i].atS));
  return slopes.length ? median(slopes) : NaN;
}

/**
 * How fast `ps` still grows once warm, in units per 10 minutes: the Theil–Sen slope of the points between the warm-up
 * and the last task, times 600 s. A leak grows steadily and shows here whatever the run's length; warm-up growth that
 * levels off does not. NaN with fewer than MIN_FIT_POINTS points or MIN_FIT_S seconds in that span.
 */
export function trendPer10Min(ps: Point[], runS: number): number {
  const span = ps.filter((p) => p.atS >= warmupS(runS) && p.atS <= runS);
  return span.length < MIN_FIT_POINTS || runS - warmupS(runS) < MIN_FIT_S ? NaN : theilSen(span) * 600;
}

/**
 * Growth of the floor: the lowest sample of the run's last quarter minus the lowest of its second quarter (samples
 * after the last task left out). For counts that move in steps (open fds); for raw RSS it is a comparison figure only:
 * its windows are half a run apart, so it reads about half of a steady leak. NaN with an empty window.
 */
export function floorGrowth(ps: Point[], runS: number): number {
  const between = (a: number, b: number) => ps.filter((p) => p.atS >= a && p.atS <= b).map((p) => p.v);
  const head = between(runS / 4, runS / 2);
  const tail = between((runS * 3) / 4, runS);
  return head.length && tail.length ? Math.min(...tail) - Math.min(...head) : NaN;
}
