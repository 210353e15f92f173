// `npm run soak -- --minutes N --concurrency C`: the soak (run.ts) against a real kernel on Docker; writes
// bench/results/soak.json and exits 1 on growth, an orphan, a lost audit entry or a task that did not end cleanly.
import { percentile, writeResults } from '../lib';
import { type ProbeSample, runSoak, type SoakReport } from './run';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(
      `error SOAK_USAGE: --${name} needs a positive number, got ${JSON.stringify(process.argv[i + 1])}\n  hint: npm run soak -- --minutes 10 --concurrency 4`,
    );
    process.exit(2);
  }
  return v;
}

function write(r: SoakReport): void {
  const model = 'in-process' as const;
  const work = `${r.minutes} min of replayed tasks (approve, deny, merge+undo, cancel, conflict) at concurrency ${r.concurrency}, one kernel`;
  const ms = (value: number, stat: 'p50' | 'p95') => ({
    value,
    unit: 'ms',
    stat,
    n: Math.max(1, r.overheadN),
    warmup: 0,
    model,
    work: `task/start to finished minus time waiting on the person (replay: no model time): ${work}`,
  });
  const last = r.samples.at(-1);
  const g = r.growth;
  const f1 = (x: number) => x.toFixed(1);
  const gcMs = r.probe.map((p) => p.gcMs);
  const [gcP50, gcMax] = [percentile(gcMs, 50), Math.max(0, ...gcMs)];
  const probeText = (p: ProbeSample) =>
    `${p.atS.toFixed(0)}:${p.rssMb.toFixed(0)}/${p.heapMb.toFixed(1)}/${p.heapTotalMb.toFixed(0)}/${p.externalMb.toFixed(1)}`;
  writeResults({
    name: 'soak',
    engine: r.engine,
    metrics: {
      tasks_per_min: { value: r.tasksPerMin, unit: '1/min', stat: 'rate', n: Math.max(1, r.tasks), warmup: 0, model, work },
      task_overhead_p50_ms: ms(r.overheadP50Ms, 'p50'),
      task_overhead_p95_ms: ms(r.overheadP95Ms, 'p95'),
      kernel_rss_growth_mb: {
        value: Math.max(0, r.rssGrowthMb),
        unit: 'MB',
        stat: 'total',
        n: r.samples.length,
        warmup: 0,
        model,
        work:
          'kernel RSS right after a full GC (its memory probe, every 15 s), Theil-Sen trend from the end of the warm-up ' +
          `(2 min) to the last task, per 10 min: ${work}`,
        goal: '<= 20 per 10 min',
      },
      orphans: {
        value: r.orphans.length,
        unit: 'count',
        stat: 'total',
        n: 1,
        warmup: 0,
        model,
        work: `task sandboxes and output volumes left 60 s after the last task: ${work}`,
        goal: '0',
      },
      lost_entries: {
        value: r.lostEntries,
        unit: 'count',
        stat: 'total',
        n: Math.max(1, r.tasks),
        warmup: 0,
        model,
        work: `audit entries acknowledged to the client during the run missing or changed at the end: ${work}`,
        goal: '0',
      },
    },
    baselines: {},
    notes: [
      `tasks by kind: ${Object.entries(r.byKind)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
      `per 10 min once warm, after a full GC: RSS ${f1(g.rssMb)} MB, JS heap ${f1(g.heapMb)} MB ` +
        `(committed ${f1(g.heapTotalMb)} MB), external ${f1(g.externalMb)} MB; raw RSS (5-s samples) trend ` +
        `${f1(g.rawRssTrendMb)} MB, floor growth ${f1(g.rawRssFloorMb)} MB; open fd floor growth ${f1(g.fds)}`,
      `the memory probe's full GC paused the kernel ${gcP50.toFixed(0)} ms (p50), ${gcMax.toFixed(0)} ms at most, every ${r.probeEveryS} s`,
      `after a full GC (s: RSS / heap / committed heap / external MB): ${r.probe.map(probeText).join(' ')}`,
      `last sample: ${last ? `RSS ${last.rssMb.toFixed(0)} MB, ${last.fds} fds, ${last.containers} containers, ${last.volumes} scratch + ${last.outputVolumes} output volumes` : 'none'}`,
      `samples (s: RSS MB / fds / containers / volumes): ${r.samples.map((s) => `${s.atS}:${s.rssMb.toFixed(0)}/${s.fds}/${s.containers}/${s.volumes + s.outputVolumes}`).join(' ')}`,
      ...(r.failures.length
        ? [`FAILED: ${r.failures.join('; ')}`]
        : ['passed: no growth beyond budget, no orphan, no lost entry, every task ended as it must']),
    ],
  });
}

async function main(): Promise<void> {
  const minutes = arg('minutes', 10);
  const concurrency = Math.round(arg('concurrency', 4));
  const r = await runSoak({ minutes, concurrency, log: (l) => console.log(l) });
  write(r);
  for (const f of r.failures) console.error(`soak failed: ${f}`);
  process.exit(r.failures.length ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
