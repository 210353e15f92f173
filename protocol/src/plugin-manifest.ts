// The Tool Plugin manifest (`airlock-plugin.json`): what a plugin is, which versions it speaks, and what it may touch.
// Shared by the SDK (sdk/), the host's discovery (core/src/plugins/) and the kernel's plugin system (kernel/src/plugins/).
import { z } from 'zod';

/** The plugin process protocol: an MCP stdio server whose tools match its manifest (bumped on breaking changes). */
export const PLUGIN_PROTOCOL_VERSION = '1.0.0';
/** The SDK this Airlock ships (sdk/package.json); a manifest's `engines.sdk` range must accept it. */
export const PLUGIN_SDK_VERSION = '0.1.0';
/** The manifest's file name at the top of a plugin's folder. */
export const PLUGIN_MANIFEST_FILE = 'airlock-plugin.json';
/** Bigger manifests are refused before parsing (they come from below: a plugin folder). */
export const MAX_MANIFEST_BYTES = 64 * 1024;

/** Part of its tools' names (`plugin.<name>.<tool>`), its policy resources and its audit subject (`plugin:<name>`). */
export const PluginName = z.string().regex(/^[a-z][a-z0-9-]{0,23}$/, 'lower-case letters, digits and -, at most 24, a letter first');
export const PluginToolName = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'lower-case letters, digits, _ and -, at most 32');
const SemVer = z.string().regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/, 'a semantic version (1.2.3)');
/** A semver range (`^1.0.0`, `>=1.2 <2`); checked with `semver.validRange` by whoever negotiates. */
const Range = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[0-9xX*^~<>=|. a-z+-]+$/, 'a semver range');
const RelPath = z
  .string()
  .min(1)
  .max(512)
  .refine(
    (p) => !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\\') && !p.includes('\0'),
    'a relative path inside the plugin, no ..',
  );
const Pattern = z
  .string()
  .min(1)
  .max(512)
  .refine((p) => !p.includes('\0'), 'no NUL');
const HostPort = z.string().regex(/^[A-Za-z0-9.-]{1,253}:\d{1,5}$/, 'host:port');

/**
 * What a plugin asks for, checked against the policy before it starts (docs/plugins.md, "Capabilities"):
 * - `reads`: workspace path globs it reads (its sandbox then sees the workspace read-only; without reads it sees none);
 * - `writes`: it proposes file writes, which come back as part of the task's patch set (never the workspace itself);
 * - `exec`: command lines it runs inside its own sandbox (judged like the agent's `exec`);
 * - `network`: `host:port`s it connects to, through the egress proxy under its own allowlist (`plugin:<name>`).
 */
export const PluginCapabilities = z
  .object({
    reads: z.array(Pattern).max(32).default([]),
    writes: z.boolean().default(false),
    exec: z.array(Pattern).max(32).default([]),
    network: z.array(HostPort).max(32).default([]),
  })
  .strict();
export type PluginCapabilities = z.infer<typeof PluginCapabilities>;

export const PluginToolManifest = z
  .object({
    name: PluginToolName,
    description: z.string().max(2048).default(''),
  })
  .strict();

export const PluginManifest = z
  .object({
    manifestVersion: z.literal(1),
    name: PluginName,
    version: SemVer,
    description: z.string().max(1024).default(''),
    /** The program the sandbox runs with `node` (a bundle: the sandbox installs nothing). */
    entry: RelPath.default('dist/index.js'),
    /** What this plugin was built against: Airlock refuses a plugin whose ranges do not accept its SDK and protocol. */
    engines: z.object({ sdk: Range, protocol: Range }).strict(),
    /** Every tool it offers; a running plugin that lists a tool not named here is refused. */
    tools: z.array(PluginToolManifest).min(1).max(64),
    capabilities: PluginCapabilities.default({ reads: [], writes: false, exec: [], network: [] }),
  })
  .strict();
export type PluginManifest = z.infer<typeof PluginManifest>;
export type PluginManifestInput = z.input<typeof PluginManifest>;

/** The agent-facing name of a plugin's tool. */
export const pluginToolName = (plugin: string, tool: string) => `plugin.${plugin}.${tool}`;
/** The policy resource of a call (`tool.call` rules match `plugin:git-tool/*`, `plugin:*`). */
export const pluginResource = (plugin: string, tool: string) => `plugin:${plugin}/${tool}`;

/** Where a tool result carries the files a plugin proposes to write (`ctx.output.write` in the SDK). */
export const PLUGIN_WRITES_META = 'airlock/writes';
export const PluginWrites = z.array(z.object({ path: RelPath, content: z.string() }).strict()).max(256);
/** The environment the kernel gives a plugin's process (the SDK reads it). */
export const PLUGIN_ENV = {
  name: 'AIRLOCK_PLUGIN_NAME',
  capabilities: 'AIRLOCK_PLUGIN_CAPABILITIES',
  workspace: 'AIRLOCK_PLUGIN_WORKSPACE',
} as const;
