// The ContainerRuntime interface: what the sandbox manager needs from a container engine (Docker or Podman).
import type { Duplex } from 'node:stream';
import type { IDisposable } from '../../../protocol/src/lifecycle';
import type { SandboxRuntime } from '../../../core/src/config/sandbox-runtime';

export type EngineKind = 'docker' | 'podman';

/** Labels carried by every container and volume Airlock creates. */
export const LABEL = {
  owner: 'airlock.owner',
  session: 'airlock.session',
  template: 'airlock.template',
  /** Who holds the session: `pid:<pid>:<starttime>` or `container:<id>`; the sweep checks it is still alive. */
  holder: 'airlock.holder',
  deadline: 'airlock.deadline',
  sandbox: 'airlock.sandbox',
  role: 'airlock.role',
  /** The scheduler task a sandbox works for. */
  task: 'airlock.task',
} as const;
export const OWNER_VALUE = 'airlock';
export { IMAGE_FOR_LABEL } from '../../../protocol/src/images';

export interface MountSpec {
  /** Host path (bind) or volume name (volume). */
  source: string;
  target: string;
  readOnly: boolean;
  type: 'bind' | 'volume';
}

export interface ContainerSpec {
  name?: string;
  image: string;
  cmd: string[];
  env?: Record<string, string>;
  workingDir?: string;
  user: string;
  labels: Record<string, string>;
  readOnlyRoot: boolean;
  capDrop: string[];
  noNewPrivileges: boolean;
  /** Seccomp profile JSON (the content, not a path); undefined = the engine's default. */
  seccompJson?: string;
  /** Engines that read the profile from a file (Podman) get this path instead of the content. */
  seccompPath?: string;
  pidsLimit: number;
  memoryBytes: number;
  nanoCpus: number;
  tmpfs: Record<string, string>;
  networkMode: string;
  mounts: MountSpec[];
  /** Ask the engine for its own init as PID 1 (for images of a person's own that carry no tini). */
  init: boolean;
  /** Keep stdin open so an attached client can talk to the main process (the exec agent). */
  openStdin: boolean;
  /** The OCI runtime (runsc: gVisor, which the engine must have registered); absent or runc = the engine's default. */
  runtime?: SandboxRuntime;
}

export interface ContainerStatus {
  id: string;
  running: boolean;
  paused: boolean;
  status: string;
  exitCode: number | null;
  oomKilled: boolean;
  error?: string;
  labels: Record<string, string>;
}

export interface ContainerSummary {
  id: string;
  names: string[];
  labels: Record<string, string>;
  state: string;
  created: number;
}

export interface VolumeSummary {
  name: string;
  labels: Record<string, string>;
}

/** What an engine exec keeps of each output stream by default: a sandbox's output is untrusted and may be endless. */
export const ENGINE_EXEC_MAX_OUTPUT = 1024 * 1024;

export interface EngineExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  /** Output past `maxOutput` was dropped. */
  truncated?: boolean;
}

export interface IContainerRuntime extends IDisposable {
  readonly engine: EngineKind;
  readonly socketPath: string;
  ping(signal?: AbortSignal): Promise<void>;
  version(): Promise<{ version: string; apiVersion: string; components: string[] }>;
  imageExists(ref: string): Promise<boolean>;
  /** Newest image carrying all these labels, if any. */
  findImage(labels: Record<string, string>): Promise<string | undefined>;
  createContainer(spec: ContainerSpec, signal?: AbortSignal): Promise<string>;
  start(id: string, signal?: AbortSignal): Promise<void>;
  /** A raw duplex to the main process: write = its stdin, read = its stdout (demultiplexed). */
  attach(id: string): Promise<Duplex>;
  /** `docker exec`: run argv in the container and collect its output. */
  /** `maxOutput`: bytes kept of each of stdout and stderr (default ENGINE_EXEC_MAX_OUTPUT); the rest is read and dropped. */
  exec(
    id: string,
    argv: string[],
    opts?: { user?: string; env?: Record<string, string>; workingDir?: string; signal?: AbortSignal; maxOutput?: number },
  ): Promise<EngineExecResult>;
  inspect(id: string): Promise<ContainerStatus>;
  kill(id: string, signal?: string): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  listContainers(labels: Record<string, string>): Promise<ContainerSummary[]>;
  createVolume(name: string, labels: Record<string, string>, driverOpts?: Record<string, string>): Promise<string>;
  removeVolume(name: string): Promise<void>;
  listVolumes(labels: Record<string, string>): Promise<VolumeSummary[]>;
}

export { AGENT_NODE } from '../../../protocol/src/images';
