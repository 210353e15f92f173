// Which engines are "remote" (share no unix socket and no files with the host) and how the host reaches the kernel.
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import type { EngineEndpoint } from '../../../protocol/src/node/engine-endpoint';

export type KernelTransport = 'auto' | 'socket' | 'exec';

/** A remote engine: tcp (TLS required) or ssh; its host's files are not ours, so the kernel gets volumes, not binds.
 * A named pipe (Docker Desktop on Windows) is not remote in this sense yet; unix and undefined are local. */
export function isRemoteEngine(e: EngineEndpoint | undefined): boolean {
  if (!e) return false;
  switch (e.type) {
    case 'unix':
    case 'npipe':
      return false;
    case 'tcp':
    case 'ssh':
      return true;
    default: {
      const never: never = e;
      return never;
    }
  }
}

/** Plain tcp would hand the engine (root on its host) and the kernel's token to anyone on the path: refused. */
export function requireSecureEngine(e: EngineEndpoint | undefined, address: string): void {
  if (e?.type === 'tcp' && !e.tls) {
    throw new AirlockError(
      'ENGINE_INSECURE',
      `the engine at ${address} is plain tcp (no TLS): Airlock does not start a kernel through it`,
      'enable TLS on the engine (dockerd --tlsverify) and set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, or use ssh://USER@HOST',
    );
  }
}

/** The exec stream when asked (kernel.transport, AIRLOCK_KERNEL_TRANSPORT), or when the engine is remote (or behind
 * a named pipe: its sockets are in a VM). */
export function useExecTransport(e: EngineEndpoint | undefined, wanted: KernelTransport): boolean {
  if (wanted !== 'auto') return wanted === 'exec';
  return isRemoteEngine(e) || e?.type === 'npipe';
}
