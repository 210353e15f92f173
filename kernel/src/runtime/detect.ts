// Runtime selection: AIRLOCK_ENGINE / AIRLOCK_ENGINE_SOCKET when set, else the first engine that answers.
import * as fs from 'node:fs';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import { DOCKER_SOCKET, DockerRuntime } from './docker';
import { PODMAN_SOCKET, PodmanRuntime } from './podman';
import type { EngineKind, IContainerRuntime } from './types';

export function createRuntime(engine: EngineKind, socketPath?: string): IContainerRuntime {
  switch (engine) {
    case 'docker':
      return new DockerRuntime(socketPath);
    case 'podman':
      return new PodmanRuntime(socketPath);
    default: {
      const never: never = engine;
      throw new AirlockError(ErrorCodes.Config, `unknown engine ${String(never)}`);
    }
  }
}

/** Podman's compat socket answers Docker's API too; its /version names the product. */
async function engineBehind(socketPath: string): Promise<EngineKind | undefined> {
  try {
    const v = await new DockerRuntime(socketPath).version();
    return v.components.some((c) => /podman/i.test(c)) ? 'podman' : 'docker';
  } catch {
    return undefined;
  }
}

export async function detectRuntime(env: NodeJS.ProcessEnv = process.env): Promise<IContainerRuntime> {
  const wanted = env.AIRLOCK_ENGINE;
  if (wanted !== undefined && wanted !== 'docker' && wanted !== 'podman' && wanted !== 'auto') {
    throw new AirlockError(ErrorCodes.Config, `AIRLOCK_ENGINE must be docker, podman or auto, got ${JSON.stringify(wanted)}`);
  }
  const socket = env.AIRLOCK_ENGINE_SOCKET;
  if (socket) {
    const kind = wanted === 'docker' || wanted === 'podman' ? wanted : await engineBehind(socket);
    if (!kind)
      throw new AirlockError(
        ErrorCodes.NoRuntime,
        `no engine answers at ${socket}`,
        'start Docker or Podman, or fix AIRLOCK_ENGINE_SOCKET',
      );
    return createRuntime(kind, socket);
  }
  const candidates: Array<[EngineKind, string]> = [
    ['docker', DOCKER_SOCKET],
    ['podman', PODMAN_SOCKET],
  ];
  for (const [kind, path] of candidates) {
    if (wanted && wanted !== 'auto' && wanted !== kind) continue;
    if (!fs.existsSync(path)) continue;
    const rt = createRuntime(kind, path);
    try {
      await rt.ping(AbortSignal.timeout(2000));
      return rt;
    } catch {
      rt.dispose();
    }
  }
  throw new AirlockError(
    ErrorCodes.NoRuntime,
    'no container engine answers (tried /var/run/docker.sock and /run/podman/podman.sock)',
    'start Docker or Podman (`bash scripts/engines.sh --podman`), or set AIRLOCK_ENGINE and AIRLOCK_ENGINE_SOCKET',
  );
}
