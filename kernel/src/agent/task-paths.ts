// Where a task's files live: its output dirs (a filesystem of their own in a container) and their paths on the engine's host.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import { AirlockError } from '../../../protocol/src/errors';
import type { KernelConfig } from '../config';
import type { VolumeEngine } from '../patches/volumes';

/** Where task output dirs go. In a container it must be a filesystem of its own (bootstrap's outputs tmpfs), so
 * what sandboxes write is capped by a filesystem and can never fill the state volume (audit log): else no task. */
export function taskOutputRoot(config: Pick<KernelConfig, 'stateDir' | 'outputsDir' | 'inContainer'>): string {
  const { stateDir, outputsDir, inContainer } = config;
  if (!inContainer) return outputsDir ?? path.join(stateDir, 'outputs');
  const dev = (p: string) => {
    try {
      return fs.statSync(p).dev;
    } catch {
      return undefined;
    }
  };
  if (!outputsDir || dev(outputsDir) === undefined || dev(outputsDir) === dev(stateDir)) {
    throw new AirlockError(
      'TASK_OUTPUTS_UNCAPPED',
      `task output dirs ${outputsDir ?? '(AIRLOCK_OUTPUTS_DIR unset)'} are not on a filesystem of their own, so a sandbox could fill the state volume`,
      "start the kernel with Airlock's bootstrap (it mounts the outputs tmpfs volume), or check `docker volume ls` for airlock-outputs-*",
    );
  }
  return outputsDir;
}

/** Kernel-side path → the engine host's path (bind and overlay sources): /workspace and /state are bind mounts, the
 * outputs dir is a volume the engine mounts at its mountpoint (the most specific mapping comes first). */
export function engineHostPath(
  config: Pick<KernelConfig, 'stateDir' | 'outputsDir' | 'workspace'>,
  env: NodeJS.ProcessEnv,
  k: string,
): string {
  const { outputsDir, stateDir, workspace } = config;
  const map: Array<[string | undefined, string | undefined]> = [
    [outputsDir, env.AIRLOCK_HOST_OUTPUTS_DIR],
    [stateDir, env.AIRLOCK_HOST_STATE_DIR],
    [workspace, env.AIRLOCK_HOST_WORKSPACE],
  ];
  for (const [inside, host] of map) {
    if (!inside || !host) continue;
    const rel = path.relative(inside, k);
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) return path.join(host, rel);
  }
  return k;
}

/** The engine that makes task volumes: the kernel's engine socket unless one is given (tests). */
export function taskVolumeEngine(env: NodeJS.ProcessEnv, given?: VolumeEngine): VolumeEngine {
  return given ?? new Docker({ socketPath: env.AIRLOCK_ENGINE_SOCKET ?? '/var/run/docker.sock' });
}
