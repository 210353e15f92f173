// The sandbox manager, or a clear error when this kernel runs without a container engine.
import { AirlockError } from '../../../../protocol/src/errors';
import type { SandboxManager } from '../../runtime/sandbox-manager';
import type { KernelServices } from '../../services';

export function needRuntime(s: KernelServices): SandboxManager {
  if (!s.runtime) throw new AirlockError('SANDBOX_NO_RUNTIME', 'this kernel has no container engine', 'start Docker or Podman and set AIRLOCK_ENGINE / AIRLOCK_ENGINE_SOCKET (bootstrap does), then restart the kernel');
  return s.runtime;
}
