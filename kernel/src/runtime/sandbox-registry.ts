// The sandbox manager's live sandboxes by id, and the masks each was made with (a warm one is checked when taken).
import { AirlockError } from '../../../protocol/src/errors';
import type { Sandbox, SandboxInfo } from './sandbox';

export class SandboxRegistry {
  private readonly sandboxes = new Map<string, Sandbox>();
  /** The default masks each sandbox was made with (maskKey of the workspace's masks at the time). */
  private readonly masks = new Map<string, string>();

  add(s: Sandbox): void {
    this.sandboxes.set(s.id, s);
  }

  delete(id: string): void {
    this.sandboxes.delete(id);
  }

  peek(id: string): Sandbox | undefined {
    return this.sandboxes.get(id);
  }

  get(id: string): Sandbox {
    const s = this.sandboxes.get(id);
    if (!s) throw new AirlockError('SANDBOX_NOT_FOUND', `no sandbox ${id}`, 'list them with `airlock sandbox list`');
    return s;
  }

  values(): IterableIterator<Sandbox> {
    return this.sandboxes.values();
  }

  ids(): string[] {
    return [...this.sandboxes.keys()];
  }

  list(): SandboxInfo[] {
    return [...this.sandboxes.values()].map((s) => s.info());
  }

  /** This task's live sandboxes (what preemption pauses, resumes or destroys). */
  forTask(taskId: string): SandboxInfo[] {
    return [...this.sandboxes.values()]
      .filter((s) => s.task === taskId && !s.lifecycle.isTerminal && s.lifecycle.state !== 'stopping')
      .map((s) => s.info());
  }

  /** Every container and volume a sandbox here holds: what the orphan sweep must leave alone. */
  owned(): Set<string> {
    const ours = new Set<string>();
    for (const s of this.sandboxes.values()) {
      if (s.containerId) ours.add(s.containerId);
      for (const v of s.volumes) ours.add(v);
    }
    return ours;
  }

  setMasks(id: string, key: string): void {
    this.masks.set(id, key);
  }

  /** The masks key the sandbox was made with; undefined when it was given masks of its own or none. */
  masksOf(id: string): string | undefined {
    return this.masks.get(id);
  }

  forgetMasks(id: string): void {
    this.masks.delete(id);
  }
}
