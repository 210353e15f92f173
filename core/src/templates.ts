// Sandbox templates as data: templates/sandbox/*.yaml, validated with zod; the workspace is always read-only.
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { AirlockError } from '../../protocol/src/errors';
import { ImageRecipe } from '../../protocol/src/images';
import { assets } from '../../protocol/src/node/assets';

const Size = z.string().regex(/^\d+[kmg]$/i, 'a size like 64m or 1g');

export const SeccompName = z.enum(['strict', 'standard', 'standard-net']);
export type SeccompName = z.infer<typeof SeccompName>;

export const SandboxTemplate = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/),
    description: z.string(),
    /** An image of your own; when absent the builder's image for `build` is used. */
    image: z.string().min(1).optional(),
    build: ImageRecipe.default('node'),
    /** Absent: the workspace user (the uid:gid the kernel runs as, AIRLOCK_SANDBOX_USER), so commands read what the
     * workspace's owner reads and own what they write. A template may name a fixed non-root uid[:gid] instead. */
    user: z
      .string()
      .regex(/^[1-9]\d*(:\d+)?$/, 'a numeric non-root uid[:gid]')
      .default(''),
    readOnlyRoot: z.literal(true),
    capDrop: z.array(z.string()).refine((c) => c.includes('ALL'), 'must drop ALL capabilities'),
    noNewPrivileges: z.literal(true),
    limits: z
      .object({
        pids: z.number().int().min(16).max(4096),
        memory: Size,
        cpus: z.number().positive().max(64),
      })
      .strict(),
    tmpfs: z.array(z.object({ path: z.string().startsWith('/'), size: Size, exec: z.boolean().default(false) }).strict()).default([]),
    network: z.enum(['none', 'bridge']),
    /** `proxy`: the only way out is the kernel's egress proxy; `provider`: the only way out is the kernel's provider
     * endpoint (the configured model provider, key added by the kernel). Both need `network: none` (docs/network.md). */
    egress: z.enum(['none', 'proxy', 'provider']).default('none'),
    seccomp: SeccompName,
    workspace: z
      .object({ target: z.string().startsWith('/').default('/workspace'), readOnly: z.literal(true) })
      .strict()
      .optional(),
    env: z.record(z.string(), z.string()).default({}),
    workdir: z.string().startsWith('/').default('/tmp'),
    /** Keep a pool of this many ready sandboxes; `recycle` cleans and reuses one after use, `destroy` throws it away. */
    pool: z
      .object({ size: z.number().int().min(0).max(32).default(0), afterUse: z.enum(['destroy', 'recycle']).default('destroy') })
      .strict()
      .default({ size: 0, afterUse: 'destroy' }),
    /** What a more urgent task does to a task using this template: pause its sandboxes (engine pause), destroy them and
     * run the task again (requeue), or never preempt it. Tasks take it as their `preemption`. */
    preemption: z.enum(['pause', 'requeue', 'never']).default('requeue'),
    /** A sandbox older than this is killed. */
    deadlineSeconds: z
      .number()
      .int()
      .positive()
      .max(7 * 24 * 3600),
    /** A real workload that proves the template works (run by the integration tests and `airlock sandbox create --check`). */
    check: z.object({ argv: z.array(z.string()).min(1), expect: z.string() }).strict(),
  })
  .strict();
export type SandboxTemplate = z.infer<typeof SandboxTemplate>;

export function parseSize(s: string): number {
  const n = Number(s.slice(0, -1));
  const unit = s.slice(-1).toLowerCase();
  return n * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : 1024 ** 3);
}

/** Who sandboxes run as when a template names no user: bootstrap's choice, else this process's own uid:gid. */
export function workspaceSandboxUser(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AIRLOCK_SANDBOX_USER && /^\d+:\d+$/.test(env.AIRLOCK_SANDBOX_USER)) return env.AIRLOCK_SANDBOX_USER;
  return `${process.getuid?.() ?? 1000}:${process.getgid?.() ?? 1000}`;
}

export function parseTemplate(text: string, source: string, defaultUser = workspaceSandboxUser()): SandboxTemplate {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    throw new AirlockError('TEMPLATE_INVALID', `${source}: not valid YAML: ${(err as Error).message}`);
  }
  const r = SandboxTemplate.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new AirlockError('TEMPLATE_INVALID', `${source}: ${issues}`, 'see docs/sandboxes.md for the template fields');
  }
  if (r.data.egress !== 'none' && r.data.network !== 'none') {
    throw new AirlockError(
      'TEMPLATE_INVALID',
      `${source}: egress: ${r.data.egress} needs network: none (a bridge is a route around the proxy)`,
      'see docs/network.md',
    );
  }
  return { ...r.data, user: r.data.user || defaultUser };
}

/** Loads every sandbox template (*.yaml in the asset resolver's templates folder); a file's name must match its `name`. */
export function loadTemplates(dir = assets().sandboxTemplatesDir, defaultUser = workspaceSandboxUser()): Map<string, SandboxTemplate> {
  const out = new Map<string, SandboxTemplate>();
  for (const f of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const t = parseTemplate(fs.readFileSync(path.join(dir, f), 'utf8'), f, defaultUser);
    if (`${t.name}.yaml` !== f) throw new AirlockError('TEMPLATE_INVALID', `${f}: name ${t.name} does not match the file name`);
    out.set(t.name, t);
  }
  return out;
}

export function loadSeccomp(name: SeccompName, dir = assets().seccompDir): string {
  const text = fs.readFileSync(path.join(dir, `${name}.json`), 'utf8');
  JSON.parse(text);
  return text;
}
