// The sandbox manager: hands out sandboxes (warm from a pool or made now), runs commands in them, pauses, resumes,
// recycles and destroys them, and sweeps orphans. The kernel reaches it as `services.runtime`. Making and tearing down
// one sandbox is sandbox-factory.ts; the live set is sandbox-registry.ts; the pools are sandbox-pools.ts.
import { randomBytes } from 'node:crypto';
import { AirlockError } from '../../../protocol/src/errors';
import type { SandboxTemplateHealth } from '../../../protocol/src/methods/sandbox';
import { Disposable, Emitter, type Event } from '../../../protocol/src/lifecycle';
import type { AgentRequest, ExecResult } from './exec-agent';
import { currentHolder } from './holder';
import { canTransition, type SandboxTransition } from './lifecycle';
import type { ExecVia, PausedBy, Sandbox, SandboxInfo } from './sandbox';
import { sweepOrphans, type SweepResult } from './sweeper';
import type { SandboxTemplate } from '../../../core/src/templates';
import { LABEL, OWNER_VALUE, type IContainerRuntime } from './types';
import { commonOwner, VolumePool } from './volume-pool';
import { maskKey } from './sandbox-masks';
import type { CreateSandboxOptions, SandboxManagerOptions } from './sandbox-options';
import { emptyTmp, WarmPools } from './sandbox-pools';
import { TemplateImages } from './sandbox-images';
import { SandboxFactory } from './sandbox-factory';
import { SandboxRegistry } from './sandbox-registry';
import { type EngineDrop, EngineDropDetector } from './engine-drop';

export type { CreateSandboxOptions, SandboxManagerOptions, SandboxMasks } from './sandbox-options';

export class SandboxManager extends Disposable {
  readonly session: string;
  readonly holder = currentHolder();
  private readonly sandboxes = new SandboxRegistry();
  private readonly factory: SandboxFactory;
  private readonly pools: WarmPools;
  /** Sandboxes made for one use (mounts, env, egress...): never recycled into a pool for the next caller. */
  private readonly tailored = new WeakSet<Sandbox>();
  readonly volumePool: VolumePool;
  private readonly images: TemplateImages;
  private readonly _onDidChange = this._register(new Emitter<SandboxTransition>());
  readonly onDidChange = this._onDidChange.event;
  private sweepTimer?: NodeJS.Timeout;
  private readonly drops: EngineDropDetector;
  /** The engine dropped the kernel's agent streams (a restarted Podman service): every sandbox is out of reach. */
  readonly onDidLoseEngine: Event<EngineDrop>;

  constructor(private readonly o: SandboxManagerOptions) {
    super();
    this.drops = this._register(new EngineDropDetector(o.runtime));
    this.onDidLoseEngine = this.drops.onDidDrop;
    this.session = o.session ?? `s-${randomBytes(6).toString('hex')}`;
    this.images = new TemplateImages(o.runtime);
    this.volumePool = this._register(
      new VolumePool(o.runtime, this.baseLabels(), o.volumePoolSize ?? 0, {
        owner: commonOwner(o.templates.values()),
        volumeSize: o.volumeSize,
      }),
    );
    this.factory = new SandboxFactory({
      o,
      session: this.session,
      labels: this.baseLabels(),
      registry: this.sandboxes,
      volumePool: this.volumePool,
      images: this.images,
      template: (name) => this.template(name),
      onTransition: (tr) => this._onDidChange.fire(tr),
      onDeadline: (s) => void this.expire(s),
      // Not one being torn down here: its stream ends because we remove it.
      onAgentGone: (s) => {
        if (s.containerId && !s.lifecycle.isTerminal && s.lifecycle.state !== 'stopping') void this.drops.check(s.containerId);
      },
    });
    this.pools = this._register(
      new WarmPools(o.templates, !!o.pools, {
        create: (t) => this.factory.create({ template: t.name }, true),
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
  health(): Promise<Record<string, SandboxTemplateHealth>> {
    return this.pools.health(this.images);
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
    const ours = this.sandboxes.owned();
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
    if (pool && isPlain(opts)) {
      const s = pool.take();
      // A warm sandbox masks what was hidden when it was made: a name added since (a new `.env`) means a fresh one.
      const made = s && this.sandboxes.masksOf(s.id);
      const stale = made !== undefined && made !== maskKey(await this.o.workspaceMasks?.());
      if (s && stale) await this.destroy(s.id, 'the workspace has new hidden paths');
      else if (s && s.lifecycle.state === 'ready') {
        s.task = opts.task;
        return s.info();
      }
    }
    const s = await this.factory.create(opts, false);
    if (!isPlain(opts)) this.tailored.add(s);
    return s.info();
  }

  private async expire(s: Sandbox): Promise<void> {
    if (s.lifecycle.isTerminal) return;
    s.reason = `deadline passed (${Math.round((s.deadline - s.createdAt) / 1000)} s)`;
    s.lifecycle.tryTo('failed', s.reason);
    await this.destroy(s.id, s.reason).catch(() => {});
  }

  list(): SandboxInfo[] {
    return this.sandboxes.list();
  }

  private get(id: string): Sandbox {
    return this.sandboxes.get(id);
  }

  info(id: string): SandboxInfo {
    return this.get(id).info();
  }

  /** Where a process of sandbox `id` can reach the kernel by a socket of its own (its egress folder), if it has one. */
  stdioFolder(id: string): string | undefined {
    return this.get(id).stdioFolder;
  }

  exec(id: string, req: AgentRequest, opts: { via?: ExecVia; signal?: AbortSignal } = {}): Promise<ExecResult> {
    return this.get(id).exec(req, opts.via ?? this.o.execVia ?? 'agent', opts.signal);
  }

  /**
   * Gives a sandbox made for no task (the spare provider worker's, agent/provider-worker/spare.ts) to `task`. Its egress
   * and provider endpoint read the task at each connection, so from here on its requests are that task's. A sandbox
   * that is another task's already, or is going, is refused: one sandbox serves one task.
   */
  bindTask(id: string, task: string): SandboxInfo {
    const s = this.get(id);
    if (s.lifecycle.isTerminal || s.lifecycle.state === 'stopping')
      throw new AirlockError('SANDBOX_NOT_FOUND', `sandbox ${id} is ${s.lifecycle.state}`, 'a new sandbox is made for the task');
    if (s.task !== undefined && s.task !== task)
      throw new AirlockError('SANDBOX_TASK_TAKEN', `sandbox ${id} works for task ${s.task}`, 'a sandbox serves one task');
    s.task = task;
    return s.info();
  }

  /** The sandbox serves `task` no longer (a conversation's provider worker kept between turns): it is no task's again. */
  unbindTask(id: string, task: string): SandboxInfo {
    const s = this.get(id);
    if (s.task !== task)
      throw new AirlockError('SANDBOX_TASK_TAKEN', `sandbox ${id} does not work for task ${task}`, 'a sandbox serves one task at a time');
    s.task = undefined;
    return s.info();
  }

  /** This task's live sandboxes (what preemption pauses, resumes or destroys). */
  forTask(taskId: string): SandboxInfo[] {
    return this.sandboxes.forTask(taskId);
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
    // Only a sandbox made as the pool makes them goes back: one with another task's mounts, env or egress never does.
    if (pool && s.template.pool.afterUse === 'recycle' && s.lifecycle.state === 'ready' && !this.tailored.has(s)) {
      if ((await emptyTmp(s)) && pool.put(s)) return;
    }
    await this.destroy(id);
  }

  async destroy(id: string, reason?: string): Promise<SandboxInfo> {
    const s = this.get(id);
    if (s.lifecycle.isTerminal) return s.info();
    s.lifecycle.tryTo('stopping', reason);
    try {
      await this.factory.cleanup(id, s, s.volumes);
    } catch (e) {
      s.lifecycle.tryTo('failed', (e as Error).message);
      throw e;
    }
    s.lifecycle.tryTo('destroyed', reason);
    return s.info();
  }

  /** Destroys every sandbox of this session and sweeps orphans. */
  async prune(): Promise<{ destroyed: string[]; swept: SweepResult }> {
    const destroyed: string[] = [];
    for (const id of this.sandboxes.ids()) {
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
    await Promise.all(this.sandboxes.ids().map((id) => this.destroy(id, 'shutdown').catch(() => {})));
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

/** A request the warm pool can serve: nothing of it is particular to one use (mounts, volumes, env, deadline, masks, egress). */
function isPlain(o: CreateSandboxOptions): boolean {
  return !o.mounts?.length && !o.volumes?.length && !o.env && !o.deadlineSeconds && !o.masks && !o.egress;
}
