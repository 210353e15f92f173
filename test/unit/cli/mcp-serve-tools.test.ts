// `airlock mcp serve` offers the session's MCP-server tools (`mcp.<server>.<tool>`) as `mcp_<server>_<tool>` and calls
// them by their kernel name; two kernel tools that would share one MCP name are neither listed nor called.
import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { ToolDefinition } from '../../../protocol/src/agent';
import type { IKernelClient } from '../../../protocol/src/rpc-client';
import { serveMcp } from '../../../cli/src/mcp/serve';

/** The client's side of serveMcp's stdin/stdout, in memory. */
class StreamTransport implements Transport {
  onmessage?: (m: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (e: Error) => void;
  private readonly buf = new ReadBuffer();
  constructor(
    private readonly toServer: PassThrough,
    private readonly fromServer: PassThrough,
  ) {}
  async start(): Promise<void> {
    this.fromServer.on('data', (c: Buffer) => {
      this.buf.append(c);
      for (let m = this.buf.readMessage(); m; m = this.buf.readMessage()) this.onmessage?.(m);
    });
  }
  async send(m: JSONRPCMessage): Promise<void> {
    this.toServer.write(serializeMessage(m));
  }
  async close(): Promise<void> {
    this.toServer.end();
    this.onclose?.();
  }
}

const def = (name: string): ToolDefinition => ({
  name,
  description: `${name} tool`,
  inputSchema: { type: 'object', properties: {} },
  capabilities: ['tool.call'],
});

describe('airlock mcp serve: MCP servers’ tools (names, routing, ambiguity)', () => {
  const calls: string[] = [];
  const log: string[] = [];
  let client: Client;
  let served: Promise<unknown>;

  before(async () => {
    const kernel: Pick<IKernelClient, 'request'> = {
      request: (async (method: string, p: { tool?: string }) => {
        if (method === 'external/open') {
          const tools = ['fs.read', 'mcp.files.read_file', 'mcp.a_b.c', 'mcp.a.b_c'].map(def);
          return { session: 'task_mcp_0123456789ab', mode: 'explore', tools };
        }
        if (method === 'external/call') {
          calls.push(p.tool!);
          const result = { toolCallId: 'c', name: p.tool!, ok: true, content: `ran ${p.tool}`, truncated: false };
          return { type: 'result', result };
        }
        if (method === 'external/close') return { setId: null, files: 0, message: 'closed' };
        throw new Error(`unexpected ${method}`);
      }) as IKernelClient['request'],
    };
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    served = serveMcp({ client: kernel, approvals: 'refuse', version: '0', stdin, stdout, log: (l) => log.push(l) });
    client = new Client({ name: 'unit', version: '1' });
    await client.connect(new StreamTransport(stdin, stdout));
  });

  after(async () => {
    await client.close();
    await served;
  });

  it('lists an MCP server’s tool as mcp_<server>_<tool>, and no name twice', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.deepEqual(names.sort(), ['fs_read', 'mcp_files_read_file']);
    assert.equal(new Set(names).size, names.length);
    assert.match(log.join('\n'), /mcp\.a_b\.c, mcp\.a\.b_c would all be served as mcp_a_b_c/);
  });

  it('calls it by its kernel name (the policy judges mcp:<server>/<tool> there)', async () => {
    const r = (await client.callTool({ name: 'mcp_files_read_file', arguments: { path: 'a.txt' } })) as CallToolResult;
    assert.notEqual(r.isError, true);
    assert.equal(calls.at(-1), 'mcp.files.read_file');
  });

  it('refuses an ambiguous name without calling either tool', async () => {
    const before = calls.length;
    const r = (await client.callTool({ name: 'mcp_a_b_c', arguments: {} })) as CallToolResult;
    assert.equal(r.isError, true);
    assert.match((r.content as Array<{ text: string }>)[0].text, /MCP_TOOL_AMBIGUOUS/);
    assert.equal(calls.length, before);
  });
});
