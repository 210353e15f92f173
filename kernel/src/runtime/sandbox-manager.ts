// The sandbox manager: creates sandboxes from templates, runs commands in them, kills them at their deadline,
// keeps warm pools and sweeps orphans. The kernel reaches it as `services.runtime`.
import { randomBytes } from 'node:crypto';
import { AirlockError } from '../../../protocol/src/errors';
import type { SandboxTemplateHealth } from '../../../protocol/src/methods/sandbox';
import { Disposable, Emitter } from '../../../protocol/src/lifecycle';
import type { AgentRequest, ExecResult } from './exec-agent';
import { currentHolder } from './holder';
import { canTransition, noAudit, SandboxLifecycle, type SandboxTransition } from './lifecycle';
import { Sandbox, type ExecVia, type PausedBy, type SandboxInfo } from './sandbox';
import { sweepOrphans, type SweepResult } from './sweeper';
import type { SandboxTemplate } from '../../../core/src/templates';
import { LABEL, OWNER_VALUE, type IContainerRuntime, type MountSpec } from './types';
import { VolumePool, volumeOwner } from './volume-pool';
import { maskKey, maskMounts, type SandboxMasks } from './sandbox-masks';
import type { CreateSandboxOptions, SandboxManagerOptions } from './sandbox-options';
import { WarmPools } from './sandbox-pools';
import { bootSandbox } from './sandbox-boot';
import { TemplateImages } from './sandbox-images';
import { containerSpec, sandboxMounts, type ScratchVolume } from './sandbox-spec';
import { withEgress } from '../egress/grant';

export type { CreateSandboxOptions, SandboxManagerOptions, SandboxMasks } from './sandbox-options';

export class SandboxManager extends Disposable {
  readonly session: string;
  readonly holder = currentHolder();
  private readonly sandboxes = new Map<string, Sandbox>();
  /** The default masks each sandbox was made with (warm ones are checked against the workspace when taken). */
  private readonly masksOf = new Map<string, string>();
  private readonly pools: WarmPools;
  readonly volumePool: VolumePool;
  private readonly images: TemplateImages;
  private readonly _onDidChange = this._register(new Emitter<SandboxTransition>());
  readonly onDidChange = this._onDidChange.event;
  private sweepTimer?: NodeJS.Timeout;

  constructor(private readonly o: SandboxManagerOptions) {
    super();
    this.session = o.session ?? `s-${randomBytes(6).toString('hex')}`;
    this.images = new TemplateImages(o.runtime);
    this.volumePool = this._register(
      new VolumePool(o.runtime, this.baseLabels(), o.volumePoolSize ?? 0, { owner: poolOwner(o.templates), volumeSize: o.volumeSize }),
    );
    this.pools = this._register(
      new WarmPools(o.templates, !!o.pools, {
        create: (t) => this.createFresh({ template: t.name }, true),
        discard: (s) => this.destroy(s.id, 'pool drained'),
      }),
    );
    if (o.sweepIntervalMs) {
      this.sweepTimer = setInterval(() => void this.sweep().catch(() => {}), o.sweepIntervalMs);
      this.sweepTimer.unref();
    }
  }

  /** Whether warm pools are on (AIRLOCK_SANDBOX_POOLS=0 turns them off; sizes then stay 0). */
  get poolsEnabled(): boolean {
    return !!this.o.pools;
  }

  /** Every template's warm pool target size. */
  poolSizes(): Record<string, number> {
    return this.pools.sizes();
  }

  /**
   * Resizes templates' warm pools at runtime (unknown templates are refused before anything changes): shrinking
   * destroys surplus ready sandboxes before this returns, growing fills in the background. With pools off, nothing changes.
   */
  async setPoolSizes(sizes: Record<string, number>): Promise<Record<string, number>> {
    const ts = Object.entries(sizes).map(([name, n]) => {
      if (!Number.isInteger(n) || n < 0 || n > 32)
        throw new AirlockError('SANDBOX_BAD_POOL_SIZE', `pool size for ${name} must be a whole number from 0 to 32, got ${n}`);
      return [this.template(name), n] as const;
    });
    await this.pools.resize(ts);
    return this.poolSizes();
  }

  /**
   * Per template: its image (or why there is none, e.g. not built yet) and its warm pool (target, ready now, and the
   * last error met while filling). Doctor and the extension's status bar read this through sandbox/pools.
   */
  async health(): Promise<Record<string, SandboxTemplateHealth>> {
    const out: Record<string, SandboxTemplateHealth> = {};
    for (const t of this.o.templates.values()) {
      const image = await this.images.resolve(t).then(
        (ref) => ({ image: ref }),
        (e) => ({ imageError: AirlockError.from(e).toPayload() }),
      );
      const pool = this.pools.get(t.name);
      out[t.name] = { ...image, pool: { target: pool?.targetSize ?? 0, ready: pool?.size ?? 0, error: pool?.lastError?.message } };
    }
    return out;
  }

  get runtime(): IContainerRuntime {
    return this.o.runtime;
  }
  get templates(): Map<string, SandboxTemplate> {
    return this.o.templates;
  }

  private baseLabels(): Record<string, string> {
    return { [LABEL.owner]: OWNER_VALUE, [LABEL.session]: this.session, [LABEL.holder]: this.holder };
  }

  /** Sweeps orphans from dead sessions, then fills the warm pools in the background. */
  async start(): Promise<SweepResult> {
    await this.o.runtime.ping();
    const swept = await this.sweep();
    this.pools.fill();
    void this.volumePool.fill().catch(() => {});
    return swept;
  }

  sweep(): Promise<SweepResult> {
    const ours = new Set<string>();
    for (const s of this.sandboxes.values()) {
      if (s.containerId) ours.add(s.containerId);
      for (const v of s.volumes) ours.add(v);
    }
    return sweepOrphans(this.o.runtime, (id) => ours.has(id));
  }

  template(name: string): SandboxTemplate {
    const t = this.o.templates.get(name);
    if (!t)
      throw new AirlockError(
        'SANDBOX_UNKNOWN_TEMPLATE',
        `no sandbox template named ${JSON.stringify(name)}`,
        `one of: ${[...this.o.templates.keys()].join(', ')}`,
      );
    return t;
  }

  /** A ready sandbox: from the warm pool when the request needs nothing special, else created now. */
  async create(opts: CreateSandboxOptions): Promise<SandboxInfo> {
    const pool = this.pools.get(opts.template);
    if (pool && !opts.mounts?.length && !opts.volumes?.length && !opts.env && !opts.deadlineSeconds && !opts.masks && !opts.egress) {
      const s = pool.take();
      // A warm sandbox masks what was hidden when it was made: a name added since (a new `.env`) means a fresh one.
      const stale = s && this.masksOf.has(s.id) && this.masksOf.get(s.id) !== maskKey(await this.o.workspaceMasks?.());
      if (s && stale) await this.destroy(s.id, 'the workspace has new hidden paths');
      else if (s && s.lifecycle.state === 'ready') {
        s.task = opts.task;
        return s.info();
      }
    }
    return (await this.createFresh(opts, false)).info();
  }

  /** The mounts that hide what the policy hides, wherever this sandbox mounts the workspace (sandbox-masks.ts). */
  private async maskMounts(
    id: string,
    t: SandboxTemplate,
    mounts: MountSpec[],
    given?: SandboxMasks,
  ): Promise<{ mounts: MountSpec[]; tmpfs: Record<string, string> }> {
    const target = t.workspace?.target ?? '/workspace';
    if (!mounts.some((m) => m.target === target)) return { mounts: [], tmpfs: {} };
    const masks = given ?? (await this.o.workspaceMasks?.());
    if (!masks) return { mounts: [], tmpfs: {} };
    if (!given) this.masksOf.set(id, maskKey(masks));
    return maskMounts(target, masks);
  }

  /**
   * A new sandbox, in steps: image, scratch volumes, mounts (with the masks of what the policy hides), tracked as
   * creating, its container booted (agent ready), then ready with its deadline armed. Any failure removes what exists.
   */
  private async createFresh(opts: CreateSandboxOptions, pooled: boolean): Promise<Sandbox> {
    const t = withEgress(this.template(opts.template), opts.egress);
    const id = `sbx-${randomBytes(5).toString('hex')}`;
    const lifecycle = new SandboxLifecycle(id, t.name, this.session, this.o.audit ?? noAudit, (tr) => this._onDidChange.fire(tr));
    const volumes: ScratchVolume[] = [];
    const deadline = Date.now() + (opts.deadlineSeconds ?? t.deadlineSeconds) * 1000;
    let sandbox: Sandbox | undefined;
    try {
      const image = await this.images.resolve(t);
      for (const target of opts.volumes ?? []) volumes.push({ name: await this.volumePool.acquire(volumeOwner(t.user)), target });
      const mounts = sandboxMounts(t, this.o.workspaceHost, opts.mounts ?? [], volumes);
      const masked = await this.maskMounts(id, t, mounts, opts.masks);
      mounts.push(...masked.mounts);
      sandbox = new Sandbox(
        id,
        t,
        lifecycle,
        this.o.runtime,
        image,
        deadline,
        mounts,
        volumes.map((v) => v.name),
      );
      sandbox.task = opts.task;
      this.sandboxes.set(id, sandbox);
      lifecycle.to('creating', pooled ? 'warm pool' : undefined);
      const egress =
        t.egress !== 'none' ? await this.o.egress?.open(id, this.session, () => this.sandboxes.get(id)?.task, t.egress) : undefined;
      const spec = containerSpec({
        id,
        template: t,
        image,
        deadline,
        labels: this.baseLabels(),
        mounts,
        tmpfs: masked.tmpfs,
        env: opts.env,
        task: opts.task,
        egress,
        runtime: this.o.sandboxRuntime,
      });
      await bootSandbox(this.o.runtime, sandbox, spec, opts.signal);
      lifecycle.to('ready');
      const s = sandbox;
      s.deadlineTimer = setTimeout(() => void this.expire(s), Math.max(0, deadline - Date.now()));
      s.deadlineTimer.unref();
      return s;
    } catch (err) {
      if (sandbox) await sandbox.noteDeath(err);
      const e = AirlockError.from(err, 'SANDBOX_CREATE_FAILED');
      lifecycle.tryTo('failed', sandbox?.reason ?? e.message);
      await this.cleanup(
        id,
        sandbox,
        volumes.map((v) => v.name),
      );
      throw e;
    }
  }

  private async expire(s: Sandbox): Promise<void> {
    if (s.lifecycle.isTerminal) return;
    s.reason = `deadline passed (${Math.round((s.deadline - s.createdAt) / 1000)} s)`;
    s.lifecycle.tryTo('failed', s.reason);
    await this.destroy(s.id, s.reason).catch(() => {});
  }

  private get(id: string): Sandbox {
    const s = this.sandboxes.get(id);
    if (!s) throw new AirlockError('SANDBOX_NOT_FOUND', `no sandbox ${id}`, 'list them with `airlock sandbox list`');
    return s;
  }

  list(): SandboxInfo[] {
    return [...this.sandboxes.values()].map((s) => s.info());
  }

  info(id: string): SandboxInfo {
    return this.get(id).info();
  }

  exec(id: string, req: AgentRequest, opts: { via?: ExecVia; signal?: AbortSignal } = {}): Promise<ExecResult> {
    return this.get(id).exec(req, opts.via ?? this.o.execVia ?? 'agent', opts.signal);
  }

  /** This task's live sandboxes (what preemption pauses, resumes or destroys). */
  forTask(taskId: string): SandboxInfo[] {
    return [...this.sandboxes.values()]
      .filter((s) => s.task === taskId && !s.lifecycle.isTerminal && s.lifecycle.state !== 'stopping')
      .map((s) => s.info());
  }

  /** The template's preemption policy, for a task that will use it (TaskSpec.preemption). */
  preemptionFor(template: string): SandboxTemplate['preemption'] {
    return this.template(template).preemption;
  }

  /**
   * Freezes every process in the sandbox with the engine's pause (cgroup freezer); a command in flight freezes too and
   * carries on after `resume`. Audited before it happens; if the engine refuses, the sandbox goes back to where it was.
   * While paused for preemption, new commands wait for the resume; while paused by a person, they are refused.
   */
  async pause(id: string, by: PausedBy = 'request'): Promise<SandboxInfo> {
    const s = this.get(id);
    const from = s.lifecycle.state;
    if (from === 'paused') return s.info();
    if (from !== 'ready' && from !== 'running')
      throw new AirlockError('SANDBOX_NOT_PAUSABLE', `sandbox ${id} is ${from}`, 'only a ready or running sandbox can be paused');
    s.lifecycle.to('paused', by === 'preemption' ? 'preempted by a more urgent task' : undefined);
    s.markPaused(by);
    try {
      await this.o.runtime.pause(s.containerId!);
    } catch (err) {
      s.markResumed();
      if (canTransition(s.lifecycle.state, from)) s.lifecycle.to(from, 'pause failed');
      throw err;
    }
    return s.info();
  }

  async resume(id: string): Promise<SandboxInfo> {
    const s = this.get(id);
    if (s.lifecycle.state !== 'paused') throw new AirlockError('SANDBOX_NOT_PAUSED', `sandbox ${id} is ${s.lifecycle.state}, not paused`);
    await this.o.runtime.unpause(s.containerId!);
    s.lifecycle.to(s.busy ? 'running' : 'ready');
    s.markResumed();
    return s.info();
  }

  /** Gives a pooled sandbox back: recycled into its pool (tmp cleaned) or destroyed, per template. */
  async release(id: string): Promise<void> {
    const s = this.get(id);
    const pool = this.pools.get(s.template.name);
    if (pool && s.template.pool.afterUse === 'recycle' && s.lifecycle.state === 'ready') {
      const r = await s
        .exec(
          {
            argv: [
              'node',
              '-e',
              'const fs=require("fs");for(const f of fs.readdirSync("/tmp"))fs.rmSync("/tmp/"+f,{recursive:true,force:true})',
            ],
            timeoutMs: 5000,
          },
          'agent',
        )
        .catch(() => undefined);
      if (r?.exitCode === 0 && pool.put(s)) return;
    }
    await this.destroy(id);
  }

  async destroy(id: string, reason?: string): Promise<SandboxInfo> {
    const s = this.get(id);
    if (s.lifecycle.isTerminal) return s.info();
    s.lifecycle.tryTo('stopping', reason);
    try {
      await this.cleanup(id, s, s.volumes);
    } catch (e) {
      s.lifecycle.tryTo('failed', (e as Error).message);
      throw e;
    }
    s.lifecycle.tryTo('destroyed', reason);
    return s.info();
  }

  private async cleanup(id: string, s: Sandbox | undefined, volumes: string[]): Promise<void> {
    this.masksOf.delete(id);
    await this.o.egress?.close(id).catch(() => {});
    if (s?.deadlineTimer) clearTimeout(s.deadlineTimer);
    s?.markResumed(); // commands waiting out a preemption pause now see the sandbox gone
    // Remove first: closing the agent's stdin would make the container exit mid-removal.
    let failed: unknown;
    if (s?.containerId)
      await this.o.runtime.remove(s.containerId).catch((e: unknown) => {
        failed = e;
      });
    s?.agent?.close();
    for (const v of volumes) await this.volumePool.release(v).catch(() => {});
    this.sandboxes.delete(id);
    // Callers that rely on the container being gone (a task reading its output volume) must not go on as if it were.
    if (failed)
      throw new AirlockError(
        'SANDBOX_REMOVE_FAILED',
        `sandbox ${id} could not be removed: ${(failed as Error).message}`,
        'check the engine (`airlock doctor`); the orphan sweep retries',
      );
  }

  /** Destroys every sandbox of this session and sweeps orphans. */
  async prune(): Promise<{ destroyed: string[]; swept: SweepResult }> {
    const destroyed: string[] = [];
    for (const id of [...this.sandboxes.keys()]) {
      if (
        await this.destroy(id, 'prune').then(
          () => true,
          () => false,
        )
      )
        destroyed.push(id);
    }
    return { destroyed, swept: await this.sweep() };
  }

  /** Destroys everything this manager holds; awaited by the kernel on shutdown. */
  async shutdown(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.pools.dispose();
    await Promise.all([...this.sandboxes.keys()].map((id) => this.destroy(id, 'shutdown').catch(() => {})));
    this.dispose();
  }

  override dispose(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const s of this.sandboxes.values()) {
      s.agent?.close();
      if (s.containerId) void this.o.runtime.remove(s.containerId).catch(() => {});
    }
    super.dispose();
  }
}

/** Pooled scratch volumes belong to the sandbox user most templates share (1000:1000 for the shipped ones). */
function poolOwner(templates: Map<string, SandboxTemplate>): ReturnType<typeof volumeOwner> {
  const counts = new Map<string, number>();
  for (const t of templates.values()) counts.set(t.user, (counts.get(t.user) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1])[0];
  return volumeOwner(top?.[0] ?? '1000:1000');
}
