// Every configuration key in one table: its zod type, default, which layers may set it, its env variable and flag.
import { z } from 'zod';
import { AgentMode, ProviderName } from '../../../protocol/src/agent';
import { parseDuration } from '../policy/units';
import { SandboxRuntime } from './sandbox-runtime';
import { sizeBytes } from './units';

/** Lowest to highest precedence; `managed` sits above all of them and can only constrain. */
export const LAYERS = ['default', 'user', 'workspace', 'env', 'flag'] as const;
export type Layer = (typeof LAYERS)[number];

/** How managed settings may constrain a key: numbers and durations have bounds, strings and lists allow-lists. */
export type ValueKind = 'string' | 'number' | 'boolean' | 'duration' | 'size' | 'list';

export interface KeyDef {
  schema: z.ZodType;
  kind: ValueKind;
  default?: unknown;
  /** Layers that may set it besides `default`. The workspace file comes with a cloned repository: it never sets a key
   * that could send data elsewhere, run other code or loosen review (base URLs, images, policy folders, auto-merge). */
  layers: readonly Exclude<Layer, 'default'>[];
  env?: string;
  flag?: string;
  description: string;
}

const HOST: KeyDef['layers'] = ['user', 'env', 'flag'];
const ALL: KeyDef['layers'] = ['user', 'workspace', 'env', 'flag'];
const parses = (f: (s: string) => number) => (s: string) => {
  try {
    f(s);
    return true;
  } catch {
    return false;
  }
};
const size = z.string().refine(parses(sizeBytes), 'a size such as 2g, 512MiB or 1048576');
const duration = z.string().refine(parses(parseDuration), 'a duration such as 90d, 12h or 30s');
const positive = z.coerce.number().positive();
const int = z.coerce.number().int().positive();
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);
const list = z.union([
  z.array(z.string().min(1)),
  z.string().transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  ),
]);

export const KEYS = {
  'engine.runtime': {
    schema: z.enum(['auto', 'docker', 'podman']),
    kind: 'string',
    default: 'auto',
    layers: HOST,
    env: 'AIRLOCK_RUNTIME',
    flag: '--runtime',
    description: 'Container engine to use (auto detects Docker, then Podman).',
  },
  'engine.socket': {
    schema: z.string().min(1),
    kind: 'string',
    layers: HOST,
    env: 'AIRLOCK_ENGINE_SOCKET',
    description: 'Engine socket path; found by detection when unset.',
  },
  'state.root': {
    schema: z.string().min(1),
    kind: 'string',
    layers: HOST,
    env: 'AIRLOCK_STATE_ROOT',
    description: 'Where per-workspace state lives (never inside the workspace).',
  },
  'policies.dir': {
    schema: z.string().min(1),
    kind: 'string',
    layers: HOST,
    env: 'AIRLOCK_POLICIES_DIR',
    description: 'Your own default policies (a folder), mounted read-only into the kernel.',
  },
  'templates.dir': {
    schema: z.string().min(1),
    kind: 'string',
    layers: HOST,
    env: 'AIRLOCK_TEMPLATES_DIR',
    description: 'Your own sandbox templates (a folder).',
  },
  'kernel.image': {
    schema: z.string().min(1),
    kind: 'string',
    layers: HOST,
    env: 'AIRLOCK_KERNEL_IMAGE',
    description: 'A kernel image of your own instead of the bundled one.',
  },
  'kernel.network': {
    schema: z.enum(['host', 'bridge', 'none']),
    kind: 'string',
    default: 'host',
    layers: HOST,
    env: 'AIRLOCK_KERNEL_NETWORK',
    description: "The kernel container's network.",
  },
  'kernel.transport': {
    schema: z.enum(['auto', 'socket', 'exec']),
    kind: 'string',
    default: 'auto',
    layers: HOST,
    env: 'AIRLOCK_KERNEL_TRANSPORT',
    description: 'How the host reaches the kernel: its unix socket, or an exec stream through the engine (auto: exec when remote).',
  },
  'engine.hostSocket': {
    schema: z.string().startsWith('/'),
    kind: 'string',
    default: '/var/run/docker.sock',
    layers: HOST,
    env: 'AIRLOCK_ENGINE_HOST_SOCKET',
    description: "A remote engine's own socket path on its host (mounted into the kernel).",
  },
  'kernel.memory': {
    schema: size,
    kind: 'size',
    default: '1GiB',
    layers: HOST,
    env: 'AIRLOCK_KERNEL_MEMORY',
    description: "The kernel container's memory limit.",
  },
  'kernel.idleMinutes': {
    schema: z.coerce.number().nonnegative(),
    kind: 'number',
    default: 30,
    layers: HOST,
    env: 'AIRLOCK_KERNEL_IDLE_MINUTES',
    description:
      'Minutes with no client connected and no task queued or running after which the kernel and its warm sandboxes stop (0: never); the next command starts it again.',
  },
  'sandbox.runtime': {
    schema: SandboxRuntime,
    kind: 'string',
    default: 'runc',
    layers: HOST,
    env: 'AIRLOCK_SANDBOX_RUNTIME',
    description:
      "OCI runtime for sandboxes: runc (the engine's default) or runsc (gVisor, registered with the engine; never from a workspace file).",
  },
  'egress.relay': {
    schema: z.enum(['native', 'js']),
    kind: 'string',
    default: 'native',
    layers: HOST,
    env: 'AIRLOCK_EGRESS_RELAY',
    description:
      "How the egress proxy relays a tunnel's bytes: native (splice(2) on a thread of its own, where the kernel has it) or js (for troubleshooting).",
  },
  'outputs.size': {
    schema: z.string().regex(/^[1-9]\d*[kmg]?$/i, 'a size such as 2g, 512m or 1048576'),
    kind: 'size',
    default: '2g',
    layers: ALL,
    env: 'AIRLOCK_OUTPUTS_SIZE',
    description: 'Size of the tmpfs holding every task output (caps what sandboxes write).',
  },
  'agent.provider': {
    schema: ProviderName,
    kind: 'string',
    layers: ALL,
    env: 'AIRLOCK_PROVIDER',
    flag: '--provider',
    description: 'AI provider.',
  },
  'agent.model': {
    schema: z.string().min(1),
    kind: 'string',
    layers: ALL,
    env: 'AIRLOCK_MODEL',
    flag: '--model',
    description: 'Model name (managed allow-lists may use * globs).',
  },
  'agent.baseUrl': {
    schema: z.string().url(),
    kind: 'string',
    layers: HOST,
    env: 'AIRLOCK_BASE_URL',
    flag: '--base-url',
    description: 'Base URL of an OpenAI-compatible server (never from a workspace file: it receives your key).',
  },
  'agent.mode': {
    schema: AgentMode,
    kind: 'string',
    default: 'strict',
    layers: ALL,
    env: 'AIRLOCK_MODE',
    flag: '--mode',
    description: 'Workflow mode: strict, explore or debug.',
  },
  'budget.maxTokens': { schema: int, kind: 'number', layers: ALL, env: 'AIRLOCK_BUDGET_MAX_TOKENS', description: 'Tokens per task.' },
  'budget.maxCostUsd': {
    schema: positive,
    kind: 'number',
    layers: ALL,
    env: 'AIRLOCK_BUDGET_MAX_COST_USD',
    description: 'Cost per task in US dollars.',
  },
  'budget.maxTurns': { schema: int, kind: 'number', layers: ALL, env: 'AIRLOCK_BUDGET_MAX_TURNS', description: 'Model turns per task.' },
  'budget.maxWallMinutes': {
    schema: positive,
    kind: 'number',
    layers: ALL,
    env: 'AIRLOCK_BUDGET_MAX_WALL_MINUTES',
    description: 'Wall-clock minutes per task.',
  },
  'review.autoMerge': {
    schema: bool,
    kind: 'boolean',
    default: false,
    layers: HOST,
    env: 'AIRLOCK_AUTO_MERGE',
    flag: '--auto-merge',
    description: 'Merge patch sets meeting the auto-merge criteria without review (never from a workspace file).',
  },
  'audit.maxAge': {
    schema: duration,
    kind: 'duration',
    layers: HOST,
    env: 'AIRLOCK_AUDIT_MAX_AGE',
    description: 'Audit entries older than this may be pruned (unset: kept).',
  },
  'audit.maxSize': {
    schema: size,
    kind: 'size',
    layers: HOST,
    env: 'AIRLOCK_AUDIT_MAX_SIZE',
    description: 'Audit log size above which the oldest entries may be pruned (unset: no limit).',
  },
  'network.allowedHosts': {
    schema: list,
    kind: 'list',
    default: [],
    layers: HOST,
    env: 'AIRLOCK_NETWORK_ALLOWED_HOSTS',
    description: 'Hosts sandboxes granted egress may reach.',
  },
  'mcp.servers': {
    schema: list,
    kind: 'list',
    default: [],
    layers: HOST,
    env: 'AIRLOCK_MCP_SERVERS',
    description: 'MCP servers to start (by name).',
  },
} as const satisfies Record<string, KeyDef>;

export type ConfigKey = keyof typeof KEYS;
export const CONFIG_KEYS = Object.keys(KEYS).sort() as ConfigKey[];

export function isConfigKey(k: string): k is ConfigKey {
  return Object.hasOwn(KEYS, k);
}

export function keyDef(k: ConfigKey): KeyDef {
  return KEYS[k];
}
