// The MCP SDK's Transport over a byte stream into a sandbox process: newline-delimited JSON-RPC, each line size-capped
// and schema-checked before the client sees it (the server is untrusted).
import type { Duplex } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { AirlockError } from '../../../protocol/src/errors';

/** Largest JSON-RPC message a server may send; a longer line fails the connection (the server is then marked failed). */
export const MCP_MAX_LINE_BYTES = 4 * 1024 * 1024;

export class SandboxStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private chunks: Buffer[] = [];
  private held = 0;
  private closed = false;

  constructor(
    private readonly stream: Duplex,
    private readonly maxLine = MCP_MAX_LINE_BYTES,
  ) {}

  async start(): Promise<void> {
    this.stream.on('data', (b: Buffer) => this.push(b));
    this.stream.on('error', (e) => this.fail(e));
    this.stream.on('end', () => this.finish());
    this.stream.on('close', () => this.finish());
  }

  private push(b: Buffer): void {
    if (this.closed) return;
    let start = 0;
    for (let nl = b.indexOf(10, start); nl !== -1; nl = b.indexOf(10, start)) {
      this.chunks.push(b.subarray(start, nl));
      const line = Buffer.concat(this.chunks).toString('utf8');
      this.chunks = [];
      this.held = 0;
      start = nl + 1;
      this.line(line);
      if (this.closed) return;
    }
    const rest = b.subarray(start);
    this.held += rest.length;
    if (this.held > this.maxLine) {
      this.fail(
        new AirlockError(
          'MCP_MESSAGE_TOO_LARGE',
          `the MCP server sent a message over ${this.maxLine} bytes`,
          'the server is treated as broken; a tool result that large is not accepted',
        ),
      );
      return;
    }
    if (rest.length) this.chunks.push(rest);
  }

  private line(text: string): void {
    const t = text.trim();
    if (!t) return;
    let raw: unknown;
    try {
      raw = JSON.parse(t);
    } catch {
      // A server that logs to stdout breaks the protocol; reported, not fatal (some servers print a banner).
      this.onerror?.(
        new AirlockError('MCP_BAD_MESSAGE', `the MCP server wrote a line that is not JSON: ${JSON.stringify(t.slice(0, 200))}`),
      );
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(raw);
    if (!parsed.success) {
      this.onerror?.(new AirlockError('MCP_BAD_MESSAGE', 'the MCP server wrote JSON that is not a JSON-RPC message'));
      return;
    }
    this.onmessage?.(parsed.data);
  }

  private fail(e: Error): void {
    if (this.closed) return;
    this.onerror?.(e);
    void this.close();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.chunks = [];
    this.onclose?.();
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return Promise.reject(new AirlockError('MCP_SERVER_GONE', "the MCP server's stream is closed"));
    return new Promise((resolve, reject) => {
      this.stream.write(JSON.stringify(message) + '\n', (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    this.stream.destroy();
    this.finish();
  }
}
