// `airlock mcp serve`: an MCP server on stdio whose tools are a kernel external session's (policy, audit, sandbox, patches).
import type { Readable, Writable } from 'node:stream';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { AgentMode, ToolDefinition } from '../../../protocol/src/agent';
import { AirlockError, formatError } from '../../../protocol/src/errors';
import type { ApprovalDecision } from '../../../protocol/src/methods/agent';
import { ExternalClient, type ExternalCallOutcome } from '../../../protocol/src/methods/external';
import type { IKernelClient } from '../../../protocol/src/rpc-client';

/** As long as the kernel lets a call wait for its answer (kernel/src/agent/external-session.ts): the SDK's default is 60 s. */
const ASK_TIMEOUT_MS = 10 * 60_000;

const INSTRUCTIONS = `Airlock runs these tools for you in isolation. Reads (fs_read, fs_list, fs_exists, search_grep, search_glob)
see the workspace with your edits over it. fs_write and fs_edit never change the workspace: they go to an output volume
that becomes a patch set a person reviews hunk by hunk when this session ends. exec runs a command in a sandbox without
network that sees your edits (what it writes joins the patch set). Every call is checked by a policy and recorded; a
refused call comes back as an error result with the reason: choose another approach. The session runs in a workflow
mode the kernel enforces (workflow_status shows its rules and state; workflow_transition asks to move on). Tools named
mcp_<server>_<tool> are other MCP servers' tools, each server running in a sandbox of its own, called through the same policy.`;

export interface ServeOptions {
  client: Pick<IKernelClient, 'request'>;
  mode?: AgentMode;
  /** `ask`: an `ask` decision is put to the person through the MCP client (elicitation) when it supports it. */
  approvals: 'ask' | 'refuse';
  version: string;
  stdin: Readable;
  stdout: Writable;
  log: (line: string) => void;
}

/** MCP tool names allow no dots for several clients (Claude Code, the Anthropic API): fs.read is served as fs_read. */
export const mcpName = (kernelName: string): string => kernelName.replace(/\./g, '_');

/** A client name as the audit log takes it (`mcp:<name>`): what the client said, cut to the allowed characters. */
export function clientName(raw: string | undefined): string {
  const clean = (raw ?? '')
    .replace(/[^A-Za-z0-9._@/ -]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return ExternalClient.safeParse(clean).success ? clean : 'unknown';
}

/**
 * Serves until stdin ends: the session opens once the client has initialised (its name and whether it can ask its
 * person are known then); stdin's end closes it, and its edits become a patch set. Resolves with the close result.
 */
export async function serveMcp(o: ServeOptions): Promise<{ setId: string | null; message: string }> {
  const server = new Server({ name: 'airlock', version: o.version }, { capabilities: { tools: {} }, instructions: INSTRUCTIONS });
  let opened: Promise<{ session: string; tools: ToolDefinition[] }> | undefined;
  const open = () => {
    opened ??= (async () => {
      const client = clientName(server.getClientVersion()?.name);
      const approvals = o.approvals === 'ask' && !!server.getClientCapabilities()?.elicitation;
      const r = await o.client.request('external/open', { client, mode: o.mode, approvals });
      const how = approvals ? 'asked through the client' : 'refused';
      o.log(`airlock: session ${r.session} for mcp:${client} (${r.mode} mode, approvals ${how})`);
      return r;
    })();
    opened.catch((err) => o.log(formatError(err)));
    return opened;
  };
  server.oninitialized = () => void open().catch(() => undefined);

  let serving: Served | undefined;
  const offered = async () => (serving ??= servedTools((await open()).tools, o.log));
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [...(await offered()).entries()].map(toMcpTool) }));
  server.setRequestHandler(CallToolRequestSchema, async (req): Promise<CallToolResult> => {
    const { session } = await open();
    const served = await offered();
    if (served.ambiguous.has(req.params.name)) {
      const e = new AirlockError(
        'MCP_TOOL_AMBIGUOUS',
        `${req.params.name} stands for more than one Airlock tool, so it is not served`,
        'rename one of the MCP servers (airlock mcp remove, then airlock mcp add with another name)',
      );
      return { content: [{ type: 'text', text: formatError(e) }], isError: true };
    }
    const tool = served.get(req.params.name)?.name ?? req.params.name; // unknown: the kernel refuses it, naming its tools
    let outcome: ExternalCallOutcome = await o.client.request('external/call', { session, tool, arguments: req.params.arguments ?? {} });
    while (outcome.type === 'approval') {
      const decision = await ask(server, outcome, o.log);
      outcome = await o.client.request('external/approve', { session, requestId: outcome.requestId, decision });
    }
    const r = outcome.result;
    return { content: [{ type: 'text', text: r.content }], isError: !r.ok };
  });

  const transport = new StdioServerTransport(o.stdin, o.stdout);
  const ended = new Promise<void>((resolve) => {
    o.stdin.once('end', resolve);
    o.stdin.once('close', resolve);
  });
  await server.connect(transport);
  await ended;
  try {
    if (!opened) return { setId: null, message: 'the client ended before a session opened' };
    const { session } = await opened;
    const r = await o.client.request('external/close', { session });
    o.log(`airlock: ${r.message.replace(/\n/g, ' ')}`);
    return r;
  } finally {
    await server.close().catch(() => undefined);
  }
}

/**
 * The session's tools by MCP name. Dots become underscores, so two kernel names can meet (`mcp.a_b.c` and `mcp.a.b_c`,
 * server names may hold `_`): neither is served then, and it is said why, rather than one name standing for two tools.
 */
export function servedTools(defs: ToolDefinition[], log: (line: string) => void): Served {
  const by = new Map<string, ToolDefinition[]>();
  for (const d of defs) by.set(mcpName(d.name), [...(by.get(mcpName(d.name)) ?? []), d]);
  const out: Served = Object.assign(new Map<string, ToolDefinition>(), { ambiguous: new Set<string>() });
  for (const [name, ds] of by) {
    if (ds.length === 1) out.set(name, ds[0]);
    else {
      out.ambiguous.add(name);
      log(`airlock: tools ${ds.map((d) => d.name).join(', ')} would all be served as ${name}; none of them is offered`);
    }
  }
  return out;
}
/** Served tools by MCP name, and the names refused because they stand for more than one tool. */
export type Served = Map<string, ToolDefinition> & { ambiguous: Set<string> };

function toMcpTool([name, d]: [string, ToolDefinition]): Tool {
  const schema = d.inputSchema as Tool['inputSchema'];
  return { name, description: d.description, inputSchema: { ...schema, type: 'object' } };
}

/** The person's answer through the client (MCP elicitation); anything but an explicit allow is a deny. */
type Asked = Extract<ExternalCallOutcome, { type: 'approval' }>;
async function ask(server: Server, a: Asked, log: (l: string) => void): Promise<ApprovalDecision> {
  const input = JSON.stringify(a.input ?? {}, null, 2).slice(0, 4000);
  try {
    const r = await server.elicitInput(
      {
        message: `Airlock's policy asks before ${a.tool}: ${a.reason}\n\n${input}`,
        requestedSchema: {
          type: 'object',
          required: ['decision'],
          properties: {
            decision: {
              type: 'string',
              title: 'Decision',
              enum: ['allow', 'allow-session', 'deny'],
              enumNames: ['Allow this call', 'Allow for this session', 'Deny'],
            },
          },
        },
      },
      { timeout: ASK_TIMEOUT_MS },
    );
    const d = r.action === 'accept' ? (r.content as { decision?: unknown } | undefined)?.decision : undefined;
    return d === 'allow' || d === 'allow-session' ? d : 'deny';
  } catch (err) {
    log(`airlock: could not ask about ${a.tool} (${(err as Error).message}); denied`);
    return 'deny';
  }
}
