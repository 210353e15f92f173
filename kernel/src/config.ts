// Kernel configuration from its environment (set by bootstrap when it starts the container).
import * as path from 'node:path';
import type { Managed } from '../../core/src/config/managed';
import { AirlockError, ErrorCodes } from '../../protocol/src/errors';
import { managedFromEnv } from './managed';

export interface KernelConfig {
  workspace: string;
  stateDir: string;
  /** Where task output dirs go: the outputs tmpfs bootstrap mounts (AIRLOCK_OUTPUTS_DIR); `<stateDir>/outputs` without one. */
  outputsDir?: string;
  socketDir: string;
  /** Host uid allowed to connect (SO_PEERCRED); undefined means "same uid as the kernel process". */
  allowedUid?: number;
  inContainer: boolean;
  /** Managed settings bootstrap passed (AIRLOCK_MANAGED); absent: none. Enforced on every task whatever client sent it. */
  managed?: Managed;
}

export const SOCKET_NAME = 'kernel.sock';
export const TOKEN_NAME = 'kernel.token';

export function readKernelConfig(env: NodeJS.ProcessEnv = process.env): KernelConfig {
  const need = (k: string, fallback?: string): string => {
    const v = env[k] ?? fallback;
    if (!v)
      throw new AirlockError(
        ErrorCodes.Config,
        `${k} is not set`,
        'bootstrap sets it when starting the kernel; set it yourself when running the kernel by hand',
      );
    return path.resolve(v);
  };
  const uid = env.AIRLOCK_ALLOWED_UID;
  if (uid !== undefined && !/^\d+$/.test(uid))
    throw new AirlockError(ErrorCodes.Config, `AIRLOCK_ALLOWED_UID must be a number, got ${JSON.stringify(uid)}`);
  return {
    workspace: need('AIRLOCK_WORKSPACE'),
    stateDir: need('AIRLOCK_STATE_DIR'),
    outputsDir: env.AIRLOCK_OUTPUTS_DIR ? path.resolve(env.AIRLOCK_OUTPUTS_DIR) : undefined,
    socketDir: need('AIRLOCK_SOCKET_DIR'),
    allowedUid: uid === undefined ? undefined : Number(uid),
    inContainer: env.AIRLOCK_IN_CONTAINER === '1',
    managed: managedFromEnv(env),
  };
}
