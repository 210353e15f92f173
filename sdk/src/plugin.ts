// A plugin as its author writes it (`definePlugin`), and the manifest it implies (`manifestOf`).
import { z } from 'zod';
import { PLUGIN_PROTOCOL_VERSION, PLUGIN_SDK_VERSION, PluginManifest, type PluginCapabilities } from '../../protocol/src/plugin-manifest';
import type { ToolContext } from './context';

/** A JSON schema for a tool's input (an object schema); the SDK checks `required` and the top-level types only. */
export interface JsonObjectSchema {
  type: 'object';
  properties?: Record<string, unknown>;
  required?: string[];
  [k: string]: unknown;
}

/** What a tool returns: text for the model, or text plus structured data (sent as JSON text after it). */
export type ToolReturn = string | { text: string; data?: unknown };

export interface PluginTool<I = Record<string, unknown>> {
  /** Lower-case letters, digits, _ and -: the agent sees `plugin.<plugin>.<name>`. */
  name: string;
  description: string;
  /** A zod object schema (validated before `run`) or a JSON object schema. */
  input: z.ZodType<I> | JsonObjectSchema;
  run(input: I, ctx: ToolContext): Promise<ToolReturn> | ToolReturn;
}

export interface ToolPlugin {
  name: string;
  version: string;
  description?: string;
  /** The built program the sandbox runs with node, relative to the package (default `dist/index.js`). */
  entry?: string;
  /** What it needs; anything not asked for is refused at run time (and the policy checks it before start). */
  capabilities?: Partial<PluginCapabilities>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each tool has its own input type
  tools: PluginTool<any>[];
}

/** Typed helper: keeps each tool's input type. */
export function definePlugin<P extends ToolPlugin>(plugin: P): P {
  return plugin;
}
export function defineTool<I>(tool: PluginTool<I>): PluginTool<I> {
  return tool;
}

/** The manifest (`airlock-plugin.json`) this plugin implies; throws with the problems when it would be refused. */
export function manifestOf(p: ToolPlugin): PluginManifest {
  const r = PluginManifest.safeParse({
    manifestVersion: 1,
    name: p.name,
    version: p.version,
    description: p.description ?? '',
    entry: p.entry ?? 'dist/index.js',
    engines: { sdk: `^${PLUGIN_SDK_VERSION}`, protocol: `^${PLUGIN_PROTOCOL_VERSION}` },
    tools: p.tools.map((t) => ({ name: t.name, description: t.description })),
    capabilities: { reads: [], writes: false, exec: [], network: [], ...p.capabilities },
  });
  if (!r.success) throw new Error(`plugin ${p.name}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

export const isZod = (s: unknown): s is z.ZodType => !!s && typeof (s as z.ZodType).safeParse === 'function';

/** The JSON schema the model sees. */
export function inputSchemaOf(t: PluginTool): JsonObjectSchema {
  if (!isZod(t.input)) return t.input;
  const s = z.toJSONSchema(t.input, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete s.$schema;
  return { ...s, type: 'object' };
}

/** The input checked: zod parses (defaults applied); a JSON schema has its required keys and top-level types checked. */
export function checkInput(t: PluginTool, args: unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  if (isZod(t.input)) {
    const r = t.input.safeParse(args ?? {});
    return r.success
      ? { ok: true, value: r.data }
      : { ok: false, error: r.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ') };
  }
  const o = (args ?? {}) as Record<string, unknown>;
  if (typeof o !== 'object' || Array.isArray(o)) return { ok: false, error: 'the input must be an object' };
  for (const k of t.input.required ?? []) if (!(k in o)) return { ok: false, error: `${k}: required` };
  for (const [k, v] of Object.entries(o)) {
    const want = (t.input.properties?.[k] as { type?: string } | undefined)?.type;
    const got = Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'number' && Number.isInteger(v) ? 'integer' : typeof v;
    if (want && want !== got && !(want === 'number' && got === 'integer'))
      return { ok: false, error: `${k}: expected ${want}, got ${got}` };
  }
  return { ok: true, value: o };
}
