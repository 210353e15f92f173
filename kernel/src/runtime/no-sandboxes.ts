// What the kernel uses of its sandbox manager, and the null object that stands in when no container engine answers.
import { AirlockError } from '../../../protocol/src/errors';
import type { SandboxManager } from './sandbox-manager';

/** The sandbox manager as handlers and tasks see it (SandboxManager in a kernel with an engine). */
export type SandboxService = Pick<
  SandboxManager,
  | 'list'
  | 'templates'
  | 'runtime'
  | 'create'
  | 'exec'
  | 'stdioFolder'
  | 'destroy'
  | 'prune'
  | 'pause'
  | 'resume'
  | 'poolSizes'
  | 'setPoolSizes'
  | 'poolsEnabled'
  | 'health'
  | 'preemptionFor'
>;

export const NO_RUNTIME_HINT =
  'start Docker or Podman and set AIRLOCK_ENGINE / AIRLOCK_ENGINE_SOCKET (bootstrap does), then restart the kernel';

/**
 * A kernel whose engine is unset (AIRLOCK_ENGINE unset or `none`) or does not answer still serves everything else
 * (review, audit, workflow); every sandbox call is refused with SANDBOX_NO_RUNTIME, never a silent empty answer.
 */
export class NoSandboxes implements SandboxService {
  /** `why` adds what cannot happen (task/start: "so tasks cannot run commands or edit files"). */
  refusal(why?: string): AirlockError {
    return new AirlockError('SANDBOX_NO_RUNTIME', `this kernel has no container engine${why ? `, ${why}` : ''}`, NO_RUNTIME_HINT);
  }

  private fail(): never {
    throw this.refusal();
  }

  get templates(): never {
    return this.fail();
  }
  get runtime(): never {
    return this.fail();
  }
  get poolsEnabled(): never {
    return this.fail();
  }
  list(): never {
    return this.fail();
  }
  create(): never {
    return this.fail();
  }
  exec(): never {
    return this.fail();
  }
  stdioFolder(): never {
    return this.fail();
  }
  destroy(): never {
    return this.fail();
  }
  prune(): never {
    return this.fail();
  }
  pause(): never {
    return this.fail();
  }
  resume(): never {
    return this.fail();
  }
  poolSizes(): never {
    return this.fail();
  }
  setPoolSizes(): never {
    return this.fail();
  }
  health(): never {
    return this.fail();
  }
  preemptionFor(): never {
    return this.fail();
  }
}
