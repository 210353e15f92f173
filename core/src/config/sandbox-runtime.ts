// Which OCI runtime sandboxes run under (`sandbox.runtime`): the engine's default (runc) or gVisor (runsc), never a fallback.
import { z } from 'zod';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';

export const SandboxRuntime = z.enum(['runc', 'runsc']);
export type SandboxRuntime = z.infer<typeof SandboxRuntime>;

/** How bootstrap hands the setting to the kernel (the kernel container's environment). */
export const SANDBOX_RUNTIME_ENV = 'AIRLOCK_SANDBOX_RUNTIME';
export const SANDBOX_RUNTIME_MISSING = 'SANDBOX_RUNTIME_MISSING';

/** The registration we document and test (docs/sandboxes.md "gVisor (runsc)"): sandboxes have no network anyway, and
 * runsc's own network stack refuses to start in the namespace Docker gives a `--network none` container on some hosts. */
export const RUNSC_DAEMON_JSON = '{"runtimes": {"runsc": {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none"]}}}';

/** HostConfig.Runtime for a sandbox: runc means the engine's own default (unset, so Podman keeps crun where it uses it). */
export function ociRuntimeName(r: SandboxRuntime): string | undefined {
  switch (r) {
    case 'runc':
      return undefined;
    case 'runsc':
      return 'runsc';
    default: {
      const never: never = r;
      throw new AirlockError(ErrorCodes.Config, `unknown sandbox runtime ${String(never)}`);
    }
  }
}

/** The kernel's setting from its environment; unset is runc, anything else unknown is refused (no guessing). */
export function sandboxRuntimeFromEnv(env: NodeJS.ProcessEnv): SandboxRuntime {
  const raw = env[SANDBOX_RUNTIME_ENV];
  if (raw === undefined || raw === '') return 'runc';
  const r = SandboxRuntime.safeParse(raw);
  if (!r.success) {
    throw new AirlockError(
      ErrorCodes.Config,
      `${SANDBOX_RUNTIME_ENV} must be runc or runsc, got ${JSON.stringify(raw.slice(0, 40))}`,
      '`airlock config set sandbox.runtime runsc` (or runc) sets it; `airlock config list` shows where the value came from',
    );
  }
  return r.data;
}

/** Refuses a runtime the engine does not have registered (its /info `Runtimes`): asking for gVisor and silently getting
 * runc would weaken isolation without anyone knowing. */
export function assertRuntimeRegistered(
  wanted: SandboxRuntime,
  registered: readonly string[],
  engine: { kind: string; socket: string },
): void {
  const name = ociRuntimeName(wanted);
  if (name === undefined || registered.includes(name)) return;
  const how =
    engine.kind === 'podman'
      ? 'add `runsc = ["/usr/bin/runsc"]` under [engine.runtimes] in containers.conf'
      : `register it in /etc/docker/daemon.json ${RUNSC_DAEMON_JSON} and restart dockerd`;
  throw new AirlockError(
    SANDBOX_RUNTIME_MISSING,
    `sandboxes are set to run under gVisor (sandbox.runtime: ${wanted}), but the ${engine.kind} engine at ${engine.socket}` +
      ` has no runtime named ${name} (it has: ${registered.join(', ') || 'none listed'});` +
      ' no sandbox is started under another runtime instead',
    `install gVisor (apt install runsc) and ${how} (\`runtimes\`, docs/sandboxes.md "gVisor (runsc)"), or set sandbox.runtime to runc`,
  );
}
