// The soak: C workers run the replayed task mix against one real kernel for N minutes while the kernel's RSS, open fds,
// containers and volumes are sampled; fails on growth, an orphan, a lost audit entry or a task that did not end cleanly.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KernelSupervisor } from '../../bootstrap';
import type { RpcClient } from '../../protocol/src/rpc-client';
import { removeKernel, sampleWorkspace } from '../../test/integration/agent/helpers';
import { allEntries, removeAll } from '../../test/integration/reliability/fault-harness';
import { percentile } from '../lib';
import { KINDS, type Kind, prepareSlot, runOne, type TaskOutcome } from './tasks';

export interface SoakOptions {
  minutes: number;
  concurrency: number;
  sampleEveryMs?: number;
  log?: (line: string) => void;
}

export interface Sample {
  atS: number;
  rssMb: number;
  fds: number;
  containers: number;
  volumes: number;
  outputVolumes: number;
}

export interface SoakReport {
  minutes: number;
  concurrency: number;
  engine: { name: string; version: string };
  tasks: number;
  byKind: Record<Kind, number>;
  tasksPerMin: number;
  overheadP50Ms: number;
  overheadP95Ms: number;
  overheadN: number;
  rssGrowthMb: number;
  fdGrowth: number;
  samples: Sample[];
  orphans: string[];
  lostEntries: number;
  problems: string[];
  /** Why the soak failed; empty when it passed. */
  failures: string[];
}

/** RSS growth allowed: 20 MB per 10 minutes (the goal), never less than 20 MB. */
const rssBudgetMb = (minutes: number) => 20 * Math.max(1, minutes / 10);
const FD_BUDGET = 20;
const TASK_TIMEOUT_MS = 180_000;

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const log = o.log ?? (() => undefined);
  const { base, workspace } = sampleWorkspace();
  for (let k = 0; k < o.concurrency; k++) prepareSlot(workspace, k);
  const sup = await KernelSupervisor.start({ workspace, stateRoot: path.join(base, 'state'), runtime: 'docker', maxRestarts: 0 });
  try {
    return await soak(sup, await sup.ready(), workspace, path.join(base, 'merges'), o, log);
  } finally {
    await removeAll(sup, removeKernel);
    fs.rmSync(base, { recursive: true, force: true });
  }
}

async function soak(
  sup: KernelSupervisor,
  client: RpcClient,
  workspace: string,
  journalDir: string,
  o: SoakOptions,
  log: (l: string) => void,
): Promise<SoakReport> {
  const d = sup.engine.docker;
  const kernel = d.getContainer(`airlock-kernel-${sup.paths.id}`);
  const pid = (await kernel.inspect()).State.Pid;
  const holder = `airlock.holder=container:airlock-kernel-${sup.paths.id}`;
  const t0 = Date.now();
  const samples: Sample[] = [];
  const failures: string[] = [];
  const sampleNow = async () => {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssMb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
    const containers = (await d.listContainers({ all: true, filters: { label: [holder] } })).length;
    const vols = (await d.listVolumes({ filters: { label: [holder] } })).Volumes ?? [];
    const outputVolumes = vols.filter((v) => v.Labels?.['airlock.output']).length;
    samples.push({
      atS: Math.round((Date.now() - t0) / 1000),
      rssMb,
      fds,
      containers,
      volumes: vols.length - outputVolumes,
      outputVolumes,
    });
  };
  await sampleNow();
  const sampler = setInterval(
    () => void sampleNow().catch((e) => failures.push(`sampling failed (the kernel died?): ${(e as Error).message}`)),
    o.sampleEveryMs ?? 5_000,
  );
  // Audit entries acknowledged per task (seq → hash), compared with the log at the end.
  const acked = new Map<number, string>();
  const outcomes: TaskOutcome[] = [];
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = chain.then(f);
    chain = p.catch(() => undefined);
    return p;
  };
  const end = t0 + o.minutes * 60_000;
  const worker = async (k: number) => {
    for (let i = k; Date.now() < end; i++) {
      const kind = KINDS[i % KINDS.length];
      const r = await runOne({ client, workspace, journalDir, serial, timeoutMs: TASK_TIMEOUT_MS }, kind, k);
      outcomes.push(r);
      if (r.problem) log(`problem: ${r.problem}`);
      const { entries } = await client.request('audit/query', { session: r.taskId, order: 'asc', limit: 5000 });
      for (const e of entries) acked.set(e.seq, e.hash);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, k) => worker(k)));
  const ranMs = Date.now() - t0;
  // Settle: every task is over, so no task sandbox or output volume may remain (the warm pools stay).
  const settled = Date.now() + 60_000;
  let orphans: string[] = [];
  for (;;) {
    const cs = await d.listContainers({ all: true, filters: { label: [holder, 'airlock.task'] } });
    const outs = (await d.listVolumes({ filters: { label: [holder, 'airlock.output'] } })).Volumes ?? [];
    const kindOf = (t: string | undefined) => outcomes.find((r) => r.taskId === t)?.kind ?? 'unknown';
    orphans = [
      ...cs.map((c) => `task sandbox ${c.Names[0]} (${kindOf(c.Labels['airlock.task'])} task ${c.Labels['airlock.task']}, ${c.State})`),
      ...outs.map((v) => `output volume ${v.Name} (${kindOf(v.Labels['airlock.output'])} task)`),
    ];
    if (!orphans.length || Date.now() > settled) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  await sampleNow();
  clearInterval(sampler);
  if ((await kernel.inspect()).State.Pid !== pid) failures.push('the kernel restarted during the soak');
  const after = new Map((await allEntries(client)).map((e) => [e.seq, e.hash]));
  const lostEntries = [...acked].filter(([seq, hash]) => after.get(seq) !== hash).length;
  const verify = await client.request('audit/verify', {});
  if (verify.type !== 'intact') failures.push(`audit chain: ${JSON.stringify(verify)}`);
  return report(o, sup, outcomes, samples, orphans, lostEntries, ranMs, failures);
}

/**
 * Growth of the floor: the lowest sample of the last quarter of the run against the lowest of the second (the first
 * quarter is warm-up: pools filled, code paths compiled). RSS swings ±20 MB with garbage not yet collected, so a few
 * samples at each end moved the measure by as much as the goal; the floor is what stays after collection, and it
 * rises with a leak, not with the heap's headroom. Samples after the last task (the settle) are left out. NaN: too few.
 */
export function growthOf(samples: Sample[], ranMs: number): { rssMb: number; fds: number } {
  const runS = ranMs / 1000;
  const between = (a: number, b: number) => samples.filter((s) => s.atS >= a && s.atS <= b);
  const head = between(runS / 4, runS / 2);
  const tail = between((runS * 3) / 4, runS);
  const floor = (xs: Sample[], f: (s: Sample) => number) => (xs.length ? Math.min(...xs.map(f)) : NaN);
  return { rssMb: floor(tail, (s) => s.rssMb) - floor(head, (s) => s.rssMb), fds: floor(tail, (s) => s.fds) - floor(head, (s) => s.fds) };
}

function report(
  o: SoakOptions,
  sup: KernelSupervisor,
  outcomes: TaskOutcome[],
  samples: Sample[],
  orphans: string[],
  lostEntries: number,
  ranMs: number,
  failures: string[],
): SoakReport {
  const overhead = outcomes.flatMap((r) => (r.overheadMs === undefined ? [] : [r.overheadMs]));
  const { rssMb: rssGrowthMb, fds: fdGrowth } = growthOf(samples, ranMs);
  const problems = outcomes.flatMap((r) => (r.problem ? [r.problem] : []));
  const byKind = Object.fromEntries(KINDS.map((k) => [k, outcomes.filter((r) => r.kind === k).length])) as Record<Kind, number>;
  if (!Number.isFinite(rssGrowthMb)) failures.push(`too few samples to measure growth (${samples.length})`);
  if (rssGrowthMb > rssBudgetMb(o.minutes))
    failures.push(`kernel RSS grew ${rssGrowthMb.toFixed(1)} MB (budget ${rssBudgetMb(o.minutes)} MB)`);
  if (fdGrowth > FD_BUDGET) failures.push(`kernel open fds grew by ${fdGrowth.toFixed(0)} (budget ${FD_BUDGET})`);
  if (orphans.length) failures.push(`${orphans.length} orphan(s): ${orphans.slice(0, 5).join(', ')}`);
  if (lostEntries) failures.push(`${lostEntries} acknowledged audit entr(ies) lost`);
  if (problems.length) failures.push(`${problems.length} task(s) did not end as they must: ${problems.slice(0, 3).join('; ')}`);
  if (!outcomes.length) failures.push('no task ran');
  return {
    minutes: o.minutes,
    concurrency: o.concurrency,
    engine: { name: sup.engine.kind, version: sup.engine.version },
    tasks: outcomes.length,
    byKind,
    tasksPerMin: outcomes.length / (ranMs / 60_000),
    overheadP50Ms: percentile(overhead, 50),
    overheadP95Ms: percentile(overhead, 95),
    overheadN: overhead.length,
    rssGrowthMb,
    fdGrowth,
    samples,
    orphans,
    lostEntries,
    problems,
    failures,
  };
}
