// An MCP server's tools as the router's tools: `mcp.<server>.<tool>`, `tool.call` on `mcp:<server>/<tool>` for the
// policy, the arguments' digest for the audit log, and results turned into capped text (the server is untrusted).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { AirlockError } from '../../../protocol/src/errors';
import { defineTool, type ToolSpec } from '../agent/tools/types';

/** At most this many tools per server reach the model; more are dropped (and said so in the server's state). */
export const MAX_TOOLS_PER_SERVER = 128;
const MAX_DESCRIPTION = 2048;
const MAX_SCHEMA_BYTES = 32 * 1024;
/** Text handed to the pipeline (which then cuts it to the model's token budget). */
export const MAX_RESULT_CHARS = 1024 * 1024;

/** What the kernel keeps of one listed tool: its agent-facing name, the server's own name, and capped metadata. */
export interface McpToolInfo {
  name: string;
  remote: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/** Something that can call a server's tool (McpServerRun). */
export interface McpCaller {
  readonly name: string;
  call(tool: string, args: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult>;
}

/** The policy resource of one tool: what `tool.call` rules match (`mcp:github/*`, `mcp:*`). */
export const mcpResource = (server: string, tool: string) => `mcp:${server}/${tool}`;

const strip = (s: string) => s.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');

/** Names the providers accept (`^[a-zA-Z][a-zA-Z0-9_.-]{0,63}$`), unique per server; tools that cannot be named are dropped. */
export function toolInfos(server: string, tools: Tool[]): { tools: McpToolInfo[]; dropped: number } {
  const out: McpToolInfo[] = [];
  const seen = new Set<string>();
  for (const t of tools) {
    if (out.length >= MAX_TOOLS_PER_SERVER) break;
    const prefix = `mcp.${server}.`;
    const name = prefix + t.name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64 - prefix.length);
    if (!t.name || seen.has(name) || !/^[a-zA-Z][a-zA-Z0-9_.-]{0,63}$/.test(name)) continue;
    seen.add(name);
    const schema = JSON.stringify(t.inputSchema ?? {});
    const inputSchema =
      schema.length <= MAX_SCHEMA_BYTES && t.inputSchema?.type === 'object'
        ? (t.inputSchema as Record<string, unknown>)
        : { type: 'object', additionalProperties: true };
    out.push({ name, remote: t.name, description: strip(t.description ?? '').slice(0, MAX_DESCRIPTION), inputSchema });
  }
  return { tools: out, dropped: tools.length - out.length };
}

/** One tool as the router's ToolSpec. Runs alone in its turn (not native): a server's calls may depend on order. */
export function mcpToolSpec(server: McpCaller, t: McpToolInfo): ToolSpec {
  return defineTool({
    name: t.name,
    native: false,
    capabilities: ['tool.call'],
    description: `[MCP server ${server.name}, sandboxed] ${t.description}`.slice(0, MAX_DESCRIPTION + 64),
    input: z.record(z.string(), z.unknown()),
    inputSchema: t.inputSchema,
    paths: () => [mcpResource(server.name, t.remote)],
    auditExtra: (input) => ({ server: server.name, mcpTool: t.remote, argumentsSha256: argumentsDigest(input) }),
    async run(input, ctx) {
      const r = await server.call(t.remote, input, ctx.signal);
      const text = resultText(r);
      if (r.isError)
        throw new AirlockError(
          'MCP_TOOL_ERROR',
          `${t.name} reported an error: ${text.slice(0, 4000)}`,
          'the MCP server refused the call; read its message',
        );
      return { content: text };
    },
  });
}

/** sha256 of the arguments as canonical JSON (keys sorted), so equal arguments give equal digests. */
export function argumentsDigest(input: unknown): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canon(input ?? {})))
    .digest('hex');
}

/** The result as text: text parts as they are, binary parts described (never passed on), capped. */
export function resultText(r: CallToolResult): string {
  const parts: string[] = [];
  for (const c of r.content ?? []) {
    switch (c.type) {
      case 'text':
        parts.push(c.text);
        break;
      case 'image':
      case 'audio':
        parts.push(`[${c.type} ${c.mimeType}, ${c.data.length} base64 characters not shown]`);
        break;
      case 'resource_link':
        parts.push(`[resource ${c.uri}${c.name ? ` (${c.name})` : ''}]`);
        break;
      case 'resource':
        parts.push('text' in c.resource ? c.resource.text : `[resource ${c.resource.uri}: binary, not shown]`);
        break;
      default:
        parts.push('[content of an unknown type, not shown]');
    }
  }
  if (!parts.length && r.structuredContent) parts.push(JSON.stringify(r.structuredContent));
  const text = parts.join('\n');
  return text.length > MAX_RESULT_CHARS ? `${text.slice(0, MAX_RESULT_CHARS)}\n[cut at ${MAX_RESULT_CHARS} characters]` : text;
}
