// Bootstrap configuration: defaults ← ~/.config/airlock/config.json ← environment ← explicit overrides, validated.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { BOOTSTRAP_KEYS } from './legacy';
import type { Managed } from './managed';
import { assertUsable, resolveConfig } from './resolve';
import { sizeBytes } from './units';
import { AirlockError, ErrorCodes, formatIssues } from '../../../protocol/src/errors';

export const BootstrapConfig = z
  .object({
    workspace: z.string().min(1),
    runtime: z.enum(['auto', 'docker', 'podman']).default('auto'),
    /** Engine socket path; found by detection when absent. */
    socket: z.string().optional(),
    stateRoot: z.string().optional(),
    /** The person's own default policies and sandbox templates (folders on the host), mounted read-only into the kernel. */
    policiesDir: z.string().optional(),
    templatesDir: z.string().optional(),
    /** A kernel image of the person's own; when absent it is built offline from the bundled kernel. */
    image: z.string().optional(),
    /** The kernel talks to AI providers (also local ones on loopback), hence host networking by default. */
    kernelNetwork: z.enum(['host', 'bridge', 'none']).default('host'),
    /** How the host reaches the kernel: its unix socket, or an exec stream through the engine (auto: exec when remote). */
    kernelTransport: z.enum(['auto', 'socket', 'exec']).default('auto'),
    /** A remote engine's own socket path on its host, mounted into the kernel so it can create sandboxes there. */
    engineHostSocket: z.string().startsWith('/').default('/var/run/docker.sock'),
    /** The kernel stops itself after this many minutes with no client and no task (0: never); see kernel/src/lifecycle/idle.ts. */
    idleMinutes: z.number().nonnegative().default(30),
    /** OCI runtime of sandboxes (runc: the engine's default; runsc: gVisor), passed to the kernel as AIRLOCK_SANDBOX_RUNTIME. */
    sandboxRuntime: z.enum(['runc', 'runsc']).default('runc'),
    /** The egress proxy's tunnel relay (native splice(2), or js to troubleshoot), passed as AIRLOCK_EGRESS_RELAY. */
    egressRelay: z.enum(['native', 'js']).default('native'),
    memoryBytes: z
      .number()
      .int()
      .positive()
      .default(1024 ** 3),
    pidsLimit: z.number().int().positive().default(1024),
    /** The tmpfs holding every task's output (overlay upper dirs): its size caps what sandboxes write, charged to memory. */
    outputsSize: z
      .string()
      .regex(/^[1-9]\d*[kmg]?$/i, 'a size such as 2g, 512m or 1048576')
      .default('2g'),
    outputsInodes: z.number().int().positive().default(1_000_000),
    maxRestarts: z.number().int().min(0).default(5),
    startTimeoutMs: z.number().int().positive().default(30_000),
    pingTimeoutMs: z.number().int().positive().default(5_000),
    /** Debug (the soak): the kernel's full GC + memory sample period, as AIRLOCK_MEMORY_PROBE_MS; 0, the default: off. */
    memoryProbeMs: z.number().int().nonnegative().default(0),
  })
  .strict();
export type BootstrapConfig = z.infer<typeof BootstrapConfig>;

export interface Paths {
  id: string;
  root: string;
  state: string;
  socketDir: string;
  socket: string;
  token: string;
}

export interface ConfigNotes {
  warnings: string[];
  managed: Managed;
}

/** Bootstrap's options from the configuration hierarchy (core/src/config): `overrides` are the flags layer, so managed
 * settings constrain them too; options that are not configuration keys (timeouts, limits) pass straight through. */
export function readConfig(overrides: Partial<BootstrapConfig> & { workspace: string }, env = process.env): BootstrapConfig & ConfigNotes {
  const flags = Object.fromEntries(Object.entries(BOOTSTRAP_KEYS).map(([name, key]) => [key, overrides[name as keyof BootstrapConfig]]));
  const r = resolveConfig({ workspace: overrides.workspace, env, flags, flagSource: 'Airlock options' });
  assertUsable(r);
  const fromKeys = Object.fromEntries(Object.entries(BOOTSTRAP_KEYS).map(([name, key]) => [name, r.values[key]]));
  const memory = r.values['kernel.memory'] === undefined ? undefined : sizeBytes(String(r.values['kernel.memory']));
  const defined = Object.fromEntries(Object.entries(overrides).filter(([k, v]) => v !== undefined && !(k in BOOTSTRAP_KEYS)));
  const parsed = BootstrapConfig.safeParse({ ...fromKeys, memoryBytes: memory, ...defined });
  if (!parsed.success)
    throw new AirlockError(
      ErrorCodes.Config,
      `invalid Airlock configuration: ${formatIssues(parsed.error)}`,
      '`airlock config list` shows every value and where it came from',
    );
  const notes: ConfigNotes = { warnings: r.warnings, managed: r.managed };
  const ws = path.resolve(parsed.data.workspace);
  if (!fs.existsSync(ws) || !fs.statSync(ws).isDirectory())
    throw new AirlockError(ErrorCodes.Config, `workspace ${ws} is not a directory`, 'pass --workspace DIR or run from inside your project');
  const dir = (d: string | undefined) => (d === undefined ? undefined : fs.realpathSync(path.resolve(d)));
  return {
    ...parsed.data,
    ...notes,
    workspace: fs.realpathSync(ws),
    policiesDir: dir(parsed.data.policiesDir),
    templatesDir: dir(parsed.data.templatesDir),
  };
}

/** Per-workspace state outside the workspace (it is mounted read-only everywhere). */
export function statePaths(cfg: BootstrapConfig, env = process.env): Paths {
  const base = cfg.stateRoot ?? path.join(env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state'), 'airlock');
  const id = crypto.createHash('sha256').update(cfg.workspace).digest('hex').slice(0, 12);
  const root = path.join(path.resolve(base), `ws-${id}`);
  const socketDir = path.join(root, 'run');
  const socket = path.join(socketDir, 'kernel.sock');
  if (Buffer.byteLength(socket) > 100)
    throw new AirlockError(
      ErrorCodes.Config,
      `socket path ${socket} is longer than Unix sockets allow`,
      'set AIRLOCK_STATE_ROOT to a shorter directory',
    );
  return { id, root, state: path.join(root, 'state'), socketDir, socket, token: path.join(socketDir, 'kernel.token') };
}
