// A plugin's tools as the router's tools: `plugin.<name>.<tool>`, `tool.call` on `plugin:<name>/<tool>` for the
// policy (per call, audited with the arguments' digest), results capped like an MCP server's; the files a plugin
// proposes (`ctx.output.write` in the SDK) are judged one by one and land in the task's output volume (its patch set).
import { z } from 'zod';
import { AirlockError, formatIssues } from '../../../protocol/src/errors';
import {
  PLUGIN_WRITES_META,
  PluginWrites,
  pluginResource,
  pluginToolName,
  type PluginManifest,
} from '../../../protocol/src/plugin-manifest';
import { defineTool, type ToolContext, type ToolSpec } from '../agent/tools/types';
import { argumentsDigest, resultText, type McpCaller, type McpToolInfo } from '../mcp/tools';

/** All the files one call proposes, together (beyond it the call fails and nothing is written). */
export const MAX_WRITE_BYTES = 8 * 1024 * 1024;
const MAX_DESCRIPTION = 2048;

/** Judges and records one proposed write (`fs.write` as `agent:plugin:<name>`): allowed, or the reason it is not. */
export type WriteJudge = (
  plugin: string,
  task: string,
  path: string,
  bytes: number,
) => Promise<{ ok: true } | { ok: false; reason: string }>;

export interface PluginToolOptions {
  manifest: PluginManifest;
  sha256: string;
  tool: McpToolInfo;
  writes: WriteJudge;
}

export function pluginToolSpec(plugin: McpCaller, o: PluginToolOptions): ToolSpec {
  const m = o.manifest;
  const t = o.tool;
  return defineTool({
    name: pluginToolName(m.name, t.remote),
    native: false,
    capabilities: ['tool.call'],
    description: `[plugin ${m.name} ${m.version}, sandboxed] ${t.description}`.slice(0, MAX_DESCRIPTION + 64),
    input: z.record(z.string(), z.unknown()),
    inputSchema: t.inputSchema,
    paths: () => [pluginResource(m.name, t.remote)],
    auditExtra: (input) => ({
      plugin: m.name,
      pluginVersion: m.version,
      pluginSha256: o.sha256,
      pluginTool: t.remote,
      argumentsSha256: argumentsDigest(input),
    }),
    async run(input, ctx) {
      const r = await plugin.call(t.remote, input, ctx.signal);
      const text = resultText(r);
      if (r.isError)
        throw new AirlockError(
          'PLUGIN_TOOL_ERROR',
          `${pluginToolName(m.name, t.remote)} reported an error: ${text.slice(0, 4000)}`,
          'the plugin refused the call; read its message',
        );
      const raw = (r._meta as Record<string, unknown> | undefined)?.[PLUGIN_WRITES_META];
      if (raw === undefined) return { content: text };
      const written = await applyWrites(m, raw, ctx, o.writes);
      return { content: `${text}\n[proposed for review: ${written.join(', ')}]` };
    },
  });
}

/** Every write is validated and judged before the first one lands: a call's writes are all taken, or none. */
async function applyWrites(m: PluginManifest, raw: unknown, ctx: ToolContext, judge: WriteJudge): Promise<string[]> {
  if (!m.capabilities.writes) {
    throw new AirlockError(
      'PLUGIN_WRITES_REFUSED',
      `plugin ${m.name} proposed files but its manifest does not ask for writes`,
      'nothing was written',
    );
  }
  const parsed = PluginWrites.safeParse(raw);
  if (!parsed.success)
    throw new AirlockError(
      'PLUGIN_WRITES_INVALID',
      `plugin ${m.name} proposed files badly: ${formatIssues(parsed.error)}`,
      'nothing was written',
    );
  const bytes = parsed.data.reduce((n, w) => n + Buffer.byteLength(w.content), 0);
  if (bytes > MAX_WRITE_BYTES)
    throw new AirlockError(
      'PLUGIN_WRITES_TOO_BIG',
      `plugin ${m.name} proposed ${bytes} bytes (at most ${MAX_WRITE_BYTES})`,
      'nothing was written',
    );
  if (!ctx.output)
    throw new AirlockError(
      'PLUGIN_WRITES_REFUSED',
      'this task has no output volume, so a plugin cannot propose files',
      'nothing was written',
    );
  for (const w of parsed.data) {
    const v = await judge(m.name, ctx.taskId, w.path, Buffer.byteLength(w.content));
    if (!v.ok)
      throw new AirlockError('PLUGIN_WRITES_REFUSED', `plugin ${m.name} may not write ${w.path}: ${v.reason}`, 'nothing was written');
  }
  for (const w of parsed.data) await ctx.output.write(w.path, w.content, ctx.signal);
  return parsed.data.map((w) => w.path);
}
