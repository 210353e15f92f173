// Whether the engine dropped the kernel's connections: a sandbox's agent stream that ends while its container still runs.
// Podman's API service holds every attach stream; when the service restarts (its containers run on under conmon) each
// exec agent, spare provider worker and warm-pool sandbox is cut off from the kernel for good. Docker with live-restore
// does the same. The kernel then stops for a clean restart (kernel/src/lifecycle/engine-lost.ts), as after a Docker
// restart, rather than serving sandboxes it can no longer reach.
import { Emitter } from '../../../protocol/src/lifecycle';
import type { IContainerRuntime } from './types';

/** A container still running this long after its stream ended was not on its way out (its end not yet recorded). */
export const DROP_CONFIRM_MS = 1_000;

export interface EngineDrop {
  containerId: string;
  /** What showed it: the engine not answering, or the container running on without its stream. */
  why: string;
}

export class EngineDropDetector {
  private readonly _onDidDrop = new Emitter<EngineDrop>();
  /** Fires at most once: the first confirmed drop. */
  readonly onDidDrop = this._onDidDrop.event;
  private fired = false;

  constructor(
    private readonly runtime: Pick<IContainerRuntime, 'inspect'>,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** A live sandbox's agent stream ended from the other side: drop, or the container's own end? */
  async check(containerId: string): Promise<boolean> {
    const why = await this.dropped(containerId);
    if (!why || this.fired) return false;
    this.fired = true;
    this._onDidDrop.fire({ containerId, why });
    return true;
  }

  private async dropped(id: string): Promise<string | undefined> {
    for (let i = 0; i < 2; i++) {
      if (i) await this.sleep(DROP_CONFIRM_MS);
      let running: boolean;
      try {
        running = (await this.runtime.inspect(id)).running;
      } catch (e) {
        // Gone (removed by gc or by hand): its own end. Any other failure: the engine is not answering.
        if ((e as { code?: string }).code === 'RUNTIME_NOT_FOUND_OBJECT') return undefined;
        return `the container engine does not answer (${(e as Error).message})`;
      }
      if (!running) return undefined;
    }
    return `sandbox container ${id.slice(0, 12)} runs on without its agent stream`;
  }

  dispose(): void {
    this._onDidDrop.dispose();
  }
}
