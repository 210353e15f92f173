// Tool plugins (docs/plugins.md): the host hands the kernel the plugins it found (workspace, user folder, built-ins),
// the person approves one (its content hash pinned), the kernel runs each approved plugin in its own sandbox.
import { z } from 'zod';
import { PluginCapabilities, PluginName } from '../plugin-manifest';

export const PluginSource = z.enum(['workspace', 'user', 'builtin']);
export type PluginSource = z.infer<typeof PluginSource>;
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/** One plugin folder as the host found it. The manifest is validated by the kernel (it came from a folder). */
export const PluginCandidate = z
  .object({
    source: PluginSource,
    /** The folder on the engine's host (absolute, no `..`): mounted read-only into the plugin's sandbox. */
    dir: z
      .string()
      .startsWith('/')
      .max(4096)
      .refine((p) => !p.split('/').includes('..'), 'no .. segments'),
    manifest: z.unknown(),
    /** The folder's content hash as the host computed it (core/src/mcp/content-hash.ts). */
    sha256: Sha256,
    /** The hash the person approved earlier (kept by the host); a plugin whose content differs waits for approval again. */
    approved: Sha256.optional(),
  })
  .strict();
export type PluginCandidate = z.infer<typeof PluginCandidate>;

export const PluginStateName = z.enum(['discovered', 'verified', 'approved', 'starting', 'ready', 'failed', 'stopped']);
export type PluginStateName = z.infer<typeof PluginStateName>;

export const PluginState = z.object({
  name: z.string(),
  source: PluginSource,
  version: z.string().optional(),
  state: PluginStateName,
  /** Why it failed, stopped, or waits (e.g. content changed since approval). */
  reason: z.string().optional(),
  sha256: Sha256,
  approved: Sha256.optional(),
  capabilities: PluginCapabilities.optional(),
  /** Agent-facing tool names (`plugin.<name>.<tool>`) while ready. */
  tools: z.array(z.string()),
  sandbox: z.string().optional(),
});
export type PluginState = z.infer<typeof PluginState>;

export const pluginsMethods = {
  /** Replaces the kernel's plugins with these: each is verified, and started when its approved hash is its content's. */
  'plugins/configure': [z.object({ plugins: z.array(PluginCandidate).max(64) }), z.object({ plugins: z.array(PluginState) })],
  'plugins/list': [z.object({}), z.object({ plugins: z.array(PluginState) })],
  /** The person approves a verified plugin at this content hash (audited, pinned); the kernel then starts it. */
  'plugins/approve': [z.object({ name: PluginName, sha256: Sha256 }), z.object({ plugin: PluginState })],
  /** Stops a plugin and forgets it until the host configures it again. */
  'plugins/remove': [z.object({ name: PluginName }), z.object({ removed: z.boolean() })],
  /** Its lifecycle (each audited transition) and the last lines its process wrote to stderr (the SDK's logger). */
  'plugins/logs': [z.object({ name: PluginName }), z.object({ lines: z.array(z.string()) })],
} as const;
