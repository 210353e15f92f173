// IContainerRuntime over dockerode: the Docker Engine API, which Docker and Podman's compat service both speak.
import Docker from 'dockerode';
import { Duplex, PassThrough, Writable } from 'node:stream';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import { assertRuntimeRegistered, ociRuntimeName, type SandboxRuntime } from '../../../core/src/config/sandbox-runtime';
import { execExitCode } from '../../../core/src/engine/exec-exit';
import { ENGINE_EXEC_MAX_OUTPUT } from './types';
import type {
  ContainerSpec,
  ContainerStatus,
  ContainerSummary,
  EngineExecResult,
  EngineKind,
  IContainerRuntime,
  VolumeSummary,
} from './types';

export const RUNTIME_ERROR = 'RUNTIME_ENGINE_ERROR';
/** Seconds the engine waits after SIGTERM before it kills a sandbox it stops (why: at the create options). */
export const SANDBOX_STOP_TIMEOUT_S = 1;

type HostConfig = Docker.ContainerCreateOptions['HostConfig'] & object;

function wrap(what: string, err: unknown): AirlockError {
  if (err instanceof AirlockError) return err;
  const e = err as { statusCode?: number; json?: { message?: string }; message?: string };
  const msg = e.json?.message ?? e.message ?? String(err);
  const code = e.statusCode === 404 ? 'RUNTIME_NOT_FOUND_OBJECT' : RUNTIME_ERROR;
  return new AirlockError(code, `${what}: ${msg}`, e.statusCode === 404 ? undefined : 'check the engine with `airlock doctor`');
}

function labelFilter(labels: Record<string, string>): string {
  return JSON.stringify({ label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) });
}

/**
 * Reads a demultiplexed stream to completion (Tty=false streams carry 8-byte frame headers), keeping at most `max`
 * bytes of each of stdout and stderr: what a sandbox prints is untrusted, and kept whole it grew the kernel without
 * bound. The rest is read and dropped, so the command is never blocked on a full pipe.
 */
export function collectDemuxed(
  modem: Docker['modem'],
  stream: NodeJS.ReadableStream,
  max = ENGINE_EXEC_MAX_OUTPUT,
): Promise<{ stdout: Buffer; stderr: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    let truncated = false;
    const keep = () => {
      const parts: Buffer[] = [];
      let held = 0;
      const pass = new PassThrough();
      pass.on('data', (b: Buffer) => {
        const room = max - held;
        if (b.length > room) truncated = true;
        if (room <= 0) return;
        const part = b.length > room ? Buffer.from(b.subarray(0, room)) : b;
        parts.push(part);
        held += part.length;
      });
      return { pass, all: () => Buffer.concat(parts) };
    };
    const o = keep();
    const e = keep();
    modem.demuxStream(stream, o.pass, e.pass);
    const done = () => resolve({ stdout: o.all(), stderr: e.all(), truncated });
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', reject);
  });
}

export abstract class DockerodeRuntime implements IContainerRuntime {
  abstract readonly engine: EngineKind;
  protected readonly docker: Docker;
  /** OCI runtimes seen registered with the engine (asked once; an engine that loses one later refuses the create). */
  private readonly registered = new Set<SandboxRuntime>();

  constructor(readonly socketPath: string) {
    this.docker = new Docker({ socketPath });
  }

  /** Engine-specific adjustments to the host config (Podman needs explicit ulimits here). */
  protected adjustHostConfig(hc: HostConfig): HostConfig {
    return hc;
  }

  async ping(signal?: AbortSignal): Promise<void> {
    try {
      signal?.throwIfAborted();
      await this.docker.ping();
    } catch (err) {
      throw new AirlockError(
        ErrorCodes.NoRuntime,
        `${this.engine} does not answer at ${this.socketPath}: ${(err as Error).message}`,
        'start the engine (`bash scripts/engines.sh --podman`) or set AIRLOCK_ENGINE_SOCKET',
      );
    }
  }

  async version(): Promise<{ version: string; apiVersion: string; components: string[] }> {
    const v = await this.docker.version();
    return { version: v.Version, apiVersion: v.ApiVersion, components: (v.Components ?? []).map((c) => c.Name) };
  }

  async imageExists(ref: string): Promise<boolean> {
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch {
      return false;
    }
  }

  async findImage(labels: Record<string, string>): Promise<string | undefined> {
    const list = await this.docker.listImages({ filters: labelFilter(labels) });
    const newest = list.sort((a, b) => b.Created - a.Created)[0];
    // Podman lists tags as `localhost/repo:tag`; either form resolves.
    return newest?.RepoTags?.find((t) => !t.startsWith('<none>')) ?? newest?.Id;
  }

  async createContainer(s: ContainerSpec, signal?: AbortSignal): Promise<string> {
    const runtime = s.runtime && ociRuntimeName(s.runtime);
    if (runtime) await this.requireRuntime(s.runtime!);
    const securityOpt = s.noNewPrivileges ? ['no-new-privileges'] : [];
    if (s.seccompPath ?? s.seccompJson) securityOpt.push(`seccomp=${s.seccompPath ?? s.seccompJson}`);
    const hc: HostConfig = this.adjustHostConfig({
      ReadonlyRootfs: s.readOnlyRoot,
      CapDrop: s.capDrop,
      SecurityOpt: securityOpt,
      PidsLimit: s.pidsLimit,
      Memory: s.memoryBytes,
      MemorySwap: s.memoryBytes,
      NanoCpus: s.nanoCpus,
      Tmpfs: s.tmpfs,
      NetworkMode: s.networkMode,
      // NoCopy: the image's content at a volume's target is never copied in. (Podman 4's compat API ignores it and
      // gives the volume root the image directory's owner: sandbox images own their mount points as the sandbox user.)
      Mounts: s.mounts.map((m) => ({
        Type: m.type,
        Source: m.source,
        Target: m.target,
        ReadOnly: m.readOnly,
        ...(m.type === 'volume' ? { VolumeOptions: { NoCopy: true } } : {}),
      })) as HostConfig['Mounts'],
      AutoRemove: false,
      // No engine-side log: a command can write to the agent's stdout (/proc/1/fd/1), and a json-file log of it would
      // grow on the host's disk unbounded. The agent's output is read from the attached stream, never from logs.
      LogConfig: { Type: 'none', Config: {} },
      ...(s.init ? { Init: true } : {}),
      ...(runtime ? { Runtime: runtime } : {}),
    });
    try {
      const c = await this.docker.createContainer({
        name: s.name,
        Image: s.image,
        Cmd: s.cmd,
        Entrypoint: [],
        Env: Object.entries(s.env ?? {}).map(([k, v]) => `${k}=${v}`),
        WorkingDir: s.workingDir,
        User: s.user,
        Labels: s.labels,
        OpenStdin: s.openStdin,
        StdinOnce: false,
        AttachStdin: s.openStdin,
        AttachStdout: s.openStdin,
        AttachStderr: s.openStdin,
        Tty: false,
        NetworkDisabled: s.networkMode === 'none',
        // A sandbox keeps nothing worth a graceful stop, and a stopping engine (`systemctl restart docker`) waits this
        // long for one that ignores SIGTERM: one the kernel was creating as the engine shut down held its stop for the
        // default 10 s (test/integration/reliability/engine-restart.test.ts).
        StopTimeout: SANDBOX_STOP_TIMEOUT_S,
        HostConfig: hc,
        abortSignal: signal,
      } as Docker.ContainerCreateOptions);
      return c.id;
    } catch (err) {
      throw wrap(`creating a container from ${s.image}`, err);
    }
  }

  /** Refuses, before anything is created, a runtime the engine does not have (never a silent fallback to runc). */
  private async requireRuntime(r: SandboxRuntime): Promise<void> {
    if (this.registered.has(r)) return;
    let names: string[];
    try {
      names = Object.keys(((await this.docker.info()) as { Runtimes?: Record<string, unknown> }).Runtimes ?? {});
    } catch (err) {
      throw wrap("reading the engine's OCI runtimes", err);
    }
    assertRuntimeRegistered(r, names, { kind: this.engine, socket: this.socketPath });
    this.registered.add(r);
  }

  async start(id: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.docker.getContainer(id).start({ abortSignal: signal });
    } catch (err) {
      throw wrap(`starting ${id.slice(0, 12)}`, err);
    }
  }

  async attach(id: string): Promise<Duplex> {
    const raw = (await this.docker
      .getContainer(id)
      .attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
    // Reads come back demultiplexed (stdout only; the agent writes nothing else); writes go straight to stdin.
    const out = new PassThrough();
    // stderr is dropped as it arrives: an unread PassThrough would buffer whatever a command writes to /proc/1/fd/2.
    const discard = new Writable({
      write(_chunk, _enc, cb) {
        cb();
      },
    });
    this.docker.modem.demuxStream(raw, out, discard);
    raw.on('end', () => out.end());
    raw.on('close', () => out.end());
    raw.on('error', (e) => out.destroy(e));
    const duplex = new Duplex({
      read() {
        /* pushed from `out` */
      },
      write(chunk: Buffer, _enc: string, cb: (e?: Error | null) => void) {
        raw.write(chunk, cb);
      },
      final(cb: () => void) {
        raw.end();
        cb();
      },
      destroy(e: Error | null, cb: (e: Error | null) => void) {
        raw.destroy();
        cb(e);
      },
    }) as Duplex;
    out.on('data', (b: Buffer) => duplex.push(b));
    out.on('end', () => duplex.push(null));
    // The engine's connection reset (a Podman service restart): an error on `out` with no listener was uncaught.
    out.on('error', (e) => duplex.destroy(e));
    return duplex;
  }

  async exec(
    id: string,
    argv: string[],
    opts: { user?: string; env?: Record<string, string>; workingDir?: string; signal?: AbortSignal; maxOutput?: number } = {},
  ): Promise<EngineExecResult> {
    try {
      const ex = await this.docker.getContainer(id).exec({
        Cmd: argv,
        AttachStdout: true,
        AttachStderr: true,
        User: opts.user,
        WorkingDir: opts.workingDir,
        Env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
        abortSignal: opts.signal,
      } as Docker.ExecCreateOptions);
      const stream = await ex.start({ hijack: true, stdin: false });
      const { stdout, stderr, truncated } = await collectDemuxed(this.docker.modem, stream, opts.maxOutput);
      return { exitCode: await execExitCode(ex, opts.signal), stdout, stderr, truncated };
    } catch (err) {
      throw wrap(`exec in ${id.slice(0, 12)}`, err);
    }
  }

  async inspect(id: string): Promise<ContainerStatus> {
    try {
      const i = await this.docker.getContainer(id).inspect();
      return {
        id: i.Id,
        running: i.State.Running,
        paused: i.State.Paused,
        status: i.State.Status,
        exitCode: i.State.Running ? null : i.State.ExitCode,
        oomKilled: i.State.OOMKilled,
        error: i.State.Error || undefined,
        labels: i.Config.Labels ?? {},
      };
    } catch (err) {
      throw wrap(`inspecting ${id.slice(0, 12)}`, err);
    }
  }

  async kill(id: string, signal = 'SIGKILL'): Promise<void> {
    try {
      await this.docker.getContainer(id).kill({ signal });
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code !== 409 && code !== 304 && code !== 404) throw wrap(`killing ${id.slice(0, 12)}`, err);
    }
  }

  async pause(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).pause();
    } catch (err) {
      throw wrap(`pausing ${id.slice(0, 12)}`, err);
    }
  }

  async unpause(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).unpause();
    } catch (err) {
      throw wrap(`unpausing ${id.slice(0, 12)}`, err);
    }
  }

  async remove(id: string): Promise<void> {
    // Podman refuses a forced remove when the container exits while it is being killed ("state improper"), and can
    // refuse one of a paused container under load: unpause (harmless when not paused) and retry with backoff.
    const c = this.docker.getContainer(id);
    for (let attempt = 0; ; attempt++) {
      try {
        await c.remove({ force: true, v: true });
        return;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return;
        if (attempt >= 6) throw wrap(`removing ${id.slice(0, 12)}`, err);
        await c.unpause().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const list = await this.docker.listContainers({ all: true, filters: labelFilter(labels) });
    return list.map((c) => ({ id: c.Id, names: c.Names ?? [], labels: c.Labels ?? {}, state: c.State, created: c.Created }));
  }

  async createVolume(name: string, labels: Record<string, string>, driverOpts?: Record<string, string>): Promise<string> {
    try {
      const v = await this.docker.createVolume({ Name: name, Driver: 'local', Labels: labels, DriverOpts: driverOpts ?? {} });
      return (v as unknown as { Name?: string }).Name ?? name;
    } catch (err) {
      throw wrap(`creating volume ${name}`, err);
    }
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.docker.getVolume(name).remove({ force: true });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw wrap(`removing volume ${name}`, err);
    }
  }

  async listVolumes(labels: Record<string, string>): Promise<VolumeSummary[]> {
    const r = await this.docker.listVolumes({ filters: labelFilter(labels) });
    return (r.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
  }

  dispose(): void {
    /* dockerode holds no open sockets between calls */
  }
}
