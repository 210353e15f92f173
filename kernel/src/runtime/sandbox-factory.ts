// Making and unmaking sandboxes: image, scratch volumes, mounts with the policy's masks, egress, boot, deadline; and
// the teardown that removes all of it (also after a failed creation). Pools and person-facing control are the manager's.
import { randomBytes } from 'node:crypto';
import { AirlockError } from '../../../protocol/src/errors';
import type { SandboxTemplate } from '../../../core/src/templates';
import { withEgress } from '../egress/grant';
import { noAudit, SandboxLifecycle, type SandboxTransition } from './lifecycle';
import { Sandbox } from './sandbox';
import { bootSandbox } from './sandbox-boot';
import type { TemplateImages } from './sandbox-images';
import { maskKey, maskMounts, type SandboxMasks } from './sandbox-masks';
import type { CreateSandboxOptions, SandboxManagerOptions } from './sandbox-options';
import type { SandboxRegistry } from './sandbox-registry';
import { containerSpec, sandboxMounts, type ScratchVolume } from './sandbox-spec';
import type { MountSpec } from './types';
import { type VolumePool, volumeOwner } from './volume-pool';

export interface FactoryDeps {
  o: SandboxManagerOptions;
  session: string;
  labels: Record<string, string>;
  registry: SandboxRegistry;
  volumePool: VolumePool;
  images: TemplateImages;
  template(name: string): SandboxTemplate;
  onTransition(tr: SandboxTransition): void;
  /** The sandbox's deadline passed while it was still alive. */
  onDeadline(s: Sandbox): void;
  /** Its exec agent's stream ended from the engine's side (engine-drop.ts tells a drop from the container's end). */
  onAgentGone(s: Sandbox): void;
}

export class SandboxFactory {
  constructor(private readonly d: FactoryDeps) {}

  /**
   * A new sandbox, in steps: image, scratch volumes, mounts (with the masks of what the policy hides), tracked as
   * creating, its container booted (agent ready), then ready with its deadline armed. Any failure removes what exists.
   */
  async create(opts: CreateSandboxOptions, pooled: boolean): Promise<Sandbox> {
    const { o, registry } = this.d;
    const t = withEgress(this.d.template(opts.template), opts.egress);
    const id = `sbx-${randomBytes(5).toString('hex')}`;
    const lifecycle = new SandboxLifecycle(id, t.name, this.d.session, o.audit ?? noAudit, (tr) => this.d.onTransition(tr));
    const volumes: ScratchVolume[] = [];
    const deadline = Date.now() + (opts.deadlineSeconds ?? t.deadlineSeconds) * 1000;
    let sandbox: Sandbox | undefined;
    try {
      const image = await this.d.images.resolve(t);
      for (const target of opts.volumes ?? []) volumes.push({ name: await this.d.volumePool.acquire(volumeOwner(t.user)), target });
      const mounts = sandboxMounts(t, o.workspaceHost, opts.mounts ?? [], volumes);
      const masked = await this.maskMounts(id, t, mounts, opts.masks);
      mounts.push(...masked.mounts);
      sandbox = new Sandbox(
        id,
        t,
        lifecycle,
        o.runtime,
        image,
        deadline,
        mounts,
        volumes.map((v) => v.name),
      );
      sandbox.task = opts.task;
      registry.add(sandbox);
      lifecycle.to('creating', pooled ? 'warm pool' : undefined);
      const egress = t.egress !== 'none' ? await o.egress?.open(id, this.d.session, () => registry.peek(id)?.task, t.egress) : undefined;
      sandbox.stdioFolder = egress?.folder;
      const spec = containerSpec({
        id,
        template: t,
        image,
        deadline,
        labels: this.d.labels,
        mounts,
        tmpfs: masked.tmpfs,
        env: opts.env,
        task: opts.task,
        egress,
        runtime: o.sandboxRuntime,
      });
      const booting = sandbox;
      await bootSandbox(o.runtime, sandbox, spec, opts.signal, () => this.d.onAgentGone(booting));
      lifecycle.to('ready');
      const s = sandbox;
      s.deadlineTimer = setTimeout(() => this.d.onDeadline(s), Math.max(0, deadline - Date.now()));
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

  /** The mounts that hide what the policy hides, wherever this sandbox mounts the workspace (sandbox-masks.ts). */
  private async maskMounts(
    id: string,
    t: SandboxTemplate,
    mounts: MountSpec[],
    given?: SandboxMasks,
  ): Promise<{ mounts: MountSpec[]; tmpfs: Record<string, string> }> {
    const target = t.workspace?.target ?? '/workspace';
    if (!mounts.some((m) => m.target === target)) return { mounts: [], tmpfs: {} };
    const masks = given ?? (await this.d.o.workspaceMasks?.());
    if (!masks) return { mounts: [], tmpfs: {} };
    if (!given) this.d.registry.setMasks(id, maskKey(masks));
    return maskMounts(target, masks);
  }

  /** Removes the sandbox's container, egress, agent and volumes, and forgets it; throws when the container stays. */
  async cleanup(id: string, s: Sandbox | undefined, volumes: string[]): Promise<void> {
    const { o, registry } = this.d;
    registry.forgetMasks(id);
    await o.egress?.close(id).catch(() => {});
    if (s?.deadlineTimer) clearTimeout(s.deadlineTimer);
    s?.markResumed(); // commands waiting out a preemption pause now see the sandbox gone
    // Remove first: closing the agent's stdin would make the container exit mid-removal.
    let failed: unknown;
    if (s?.containerId)
      await o.runtime.remove(s.containerId).catch((e: unknown) => {
        failed = e;
      });
    s?.agent?.close();
    for (const v of volumes) await this.d.volumePool.release(v).catch(() => {});
    registry.delete(id);
    // Callers that rely on the container being gone (a task reading its output volume) must not go on as if it were.
    if (failed)
      throw new AirlockError(
        'SANDBOX_REMOVE_FAILED',
        `sandbox ${id} could not be removed: ${(failed as Error).message}`,
        'check the engine (`airlock doctor`); the orphan sweep retries',
      );
  }
}
