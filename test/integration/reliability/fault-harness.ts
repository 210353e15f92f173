// Fault-injection harness: kill the kernel (SIGKILL) at a chosen step of a task, wait for bootstrap's restart, and
// check what must survive — acknowledged audit entries, the chain, the workspace (untouched or fully merged), the
// task's recorded outcome, and no sandbox, volume or kernel container left behind.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AuditEntry } from '../../../protocol/src/audit';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import type { KernelSupervisor } from '../../../bootstrap';
import { patientClient } from '../../../core/src/engine/patient';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 60_000, every = 200): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(every);
  }
}

/** SHA-256 over every file's path and bytes (sorted), skipping the test's own replay files. */
export function treeHash(dir: string): string {
  const h = crypto.createHash('sha256');
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = path.posix.join(rel, e.name);
      if (r === '.replays') continue;
      if (e.isDirectory()) walk(r);
      else
        h.update(`${r}\0`)
          .update(fs.readFileSync(path.join(dir, r)))
          .update('\0');
    }
  };
  walk('');
  return h.digest('hex');
}

/** Every entry the kernel has committed and answered with (the client's acknowledged view of the log). */
export async function allEntries(client: RpcClient): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let cursor: number | undefined;
  for (;;) {
    const page = await client.request('audit/query', { order: 'asc', limit: 5000, cursor });
    out.push(...page.entries);
    if (page.nextCursor === undefined) return out;
    cursor = page.nextCursor;
  }
}

export interface Resources {
  containers: string[];
  volumes: string[];
  outputVolumes: string[];
  kernels: number;
}

/** What the engine holds for this kernel: sandbox containers and volumes by holder label (with their manager session),
 * the task output volumes the kernel made, and kernel containers of this workspace. */
export async function resources(sup: KernelSupervisor): Promise<Resources & { sessions: Map<string, string> }> {
  const d = sup.engine.docker;
  const kernel = `airlock-kernel-${sup.paths.id}`;
  const holder = `airlock.holder=container:${kernel}`;
  const sessions = new Map<string, string>();
  const cs = await d.listContainers({ all: true, filters: { label: [holder] } });
  for (const c of cs) sessions.set(c.Id, c.Labels['airlock.session'] ?? '');
  const vs = (await d.listVolumes({ filters: { label: [holder] } })).Volumes ?? [];
  for (const v of vs) sessions.set(v.Name, v.Labels?.['airlock.session'] ?? '');
  const outs = (await d.listVolumes({ filters: { label: ['airlock.output'] } })).Volumes ?? [];
  // Podman's name filter does not take Docker's anchored `^/name$`: filter loosely, compare exactly.
  const kernels = (await d.listContainers({ all: true, filters: { name: [kernel] } })).filter((c) =>
    c.Names.some((n) => n.replace(/^\//, '') === kernel),
  );
  return {
    containers: cs.map((c) => c.Id),
    volumes: vs.map((v) => v.Name),
    outputVolumes: outs.map((v) => v.Name),
    kernels: kernels.length,
    sessions,
  };
}

/** SIGKILL to the kernel container (what an OOM kill or a crash does), then the supervisor's restart. */
export async function killKernel(sup: KernelSupervisor, old: RpcClient): Promise<RpcClient> {
  return restartedAfter(sup, old, async () => {
    // Podman answers a kill only once the container is cleaned up, past the engine client's 5 s idle timeout when a
    // sandbox is running: the patient client waits for it.
    await patientClient(sup.engine.docker).getContainer(`airlock-kernel-${sup.paths.id}`).kill({ signal: 'SIGKILL' });
  });
}

/** Runs `inject` (a fault that stops the kernel), waits for the supervisor to notice and to have a restarted kernel
 * answering, and returns its client. */
export async function restartedAfter(sup: KernelSupervisor, old: RpcClient, inject: () => Promise<void>): Promise<RpcClient> {
  const kernel = sup.engine.docker.getContainer(`airlock-kernel-${sup.paths.id}`);
  const before = (await kernel.inspect()).State.StartedAt;
  await inject();
  await until('the supervisor to notice', async () => sup.state.type !== 'ready' || sup.client !== old, 30_000, 50);
  const client = await until('the restarted kernel', async () => (sup.state.type === 'ready' ? sup.client : undefined), 180_000, 250);
  assert.notEqual((await kernel.inspect()).State.StartedAt, before, 'the kernel container was started again');
  await client.request('kernel/ping', {});
  return client;
}

export interface Snapshot {
  entries: AuditEntry[];
  tree: string;
}

export async function snapshot(client: RpcClient, workspace: string): Promise<Snapshot> {
  return { entries: await allEntries(client), tree: treeHash(workspace) };
}

export interface AfterKill {
  /** Tasks that were in flight: each must be finished in its stored session (the outcome and why). */
  tasks: string[];
  /** Acceptable workspace states: untouched (the hash before) and, for merges, fully merged. */
  trees: string[];
}

/** The checks every fault row makes after the restart. Returns the stored sessions of `tasks` for row-specific checks. */
export async function checkAfterKill(sup: KernelSupervisor, client: RpcClient, workspace: string, before: Snapshot, o: AfterKill) {
  // 1. No acknowledged audit entry lost: every entry answered before the kill is still there, byte for byte.
  const after = await allEntries(client);
  const bySeq = new Map(after.map((e) => [e.seq, e]));
  const lost = before.entries.filter((e) => bySeq.get(e.seq)?.hash !== e.hash);
  assert.deepEqual(
    lost.map((e) => `${e.seq} ${e.action}`),
    [],
    'acknowledged audit entries survive the kill',
  );
  // 2. The chain verifies.
  const v = await client.request('audit/verify', {});
  assert.equal(v.type, 'intact', `audit chain after the kill: ${JSON.stringify(v)}`);
  // 3. The workspace is untouched or fully merged, never half.
  assert.ok(o.trees.includes(treeHash(workspace)), 'the workspace is untouched or fully merged');
  // 4. Every in-flight task is marked: finished, with a reason, in its stored session.
  const { sessions } = await client.request('sessions/list', { limit: 1000 });
  const marked = o.tasks.map((id) => sessions.find((s) => s.taskId === id));
  for (const [i, s] of marked.entries()) {
    assert.ok(s, `task ${o.tasks[i]} has a stored session`);
    assert.ok(s.status, `task ${s.taskId} is marked (status ${s.status})`);
    assert.ok(s.message && s.message.length > 10, `task ${s.taskId} says why: ${s.message}`);
  }
  // 5. Nothing orphaned once the restart settles: only the new kernel's sandboxes and volumes, one kernel container,
  //    no output volume of a task that is not running.
  const { tasks } = await client.request('tasks/list', {});
  const live = new Set(tasks.filter((t) => !['done', 'failed', 'cancelled'].includes(t.state)).map((t) => `airlock-out-${t.id}`));
  const current = await until(
    "the new kernel's sandbox session",
    async () => {
      const { sandboxes } = await client.request('sandbox/list', {});
      return sandboxes[0]?.session;
    },
    60_000,
    500,
  );
  let res = await resources(sup);
  const orphans = (r: typeof res) => [
    ...[...r.containers, ...r.volumes]
      .filter((id) => r.sessions.get(id) !== current)
      .map((id) => `sandbox resource ${id.slice(0, 24)} (session ${r.sessions.get(id)})`),
    ...r.outputVolumes.filter((n) => o.tasks.some((t) => n === `airlock-out-${t}`) && !live.has(n)).map((n) => `output volume ${n}`),
  ];
  // The restarted kernel sweeps in the background right after it starts: give it a moment to settle.
  res = await until(
    'the restart to settle',
    async () => {
      const r = await resources(sup);
      return orphans(r).length ? undefined : r;
    },
    30_000,
    500,
  ).catch(async () => resources(sup));
  assert.deepEqual(orphans(res), [], 'no sandbox, volume or output volume of the killed kernel is left');
  assert.equal(res.kernels, 1, 'exactly one kernel container for the workspace');
  return { sessions: marked as NonNullable<(typeof marked)[number]>[], after };
}

/** Test clean-up: the kernel, its outputs volume, and every sandbox and volume it held (a dead holder's are orphans). */
export async function removeAll(sup: KernelSupervisor, removeKernel: (s: KernelSupervisor) => Promise<void>): Promise<void> {
  const d = sup.engine.docker;
  const holder = `airlock.holder=container:airlock-kernel-${sup.paths.id}`;
  await removeKernel(sup);
  for (const c of await d.listContainers({ all: true, filters: { label: [holder] } }))
    await d
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  for (const v of (await d.listVolumes({ filters: { label: [holder] } })).Volumes ?? [])
    await d
      .getVolume(v.Name)
      .remove({ force: true })
      .catch(() => undefined);
}
