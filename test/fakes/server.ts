// Loopback fake vendor server (node:http): serves queued scripted responses as real HTTP + SSE and records requests.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SseFrame {
  event?: string;
  data: unknown;
}

/** One scripted HTTP response. */
export type FakeResponse =
  | {
      kind: 'sse';
      frames: SseFrame[];
      /** destroy the socket after this many frames (a stream cut mid-way) */ cutAfter?: number;
      delimiter?: string;
      doneSentinel?: boolean;
      frameDelayMs?: number;
    }
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'hang' };

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  /** When its body had arrived, on the wall clock in ms with a fraction (performance.timeOrigin + now(), as a page's). */
  at: number;
}

export class FakeVendorServer {
  private readonly server: http.Server;
  private readonly queue: FakeResponse[] = [];
  readonly requests: RecordedRequest[] = [];
  /** Fires when a request's connection closes before its response finished (client abort). */
  aborted = 0;
  url = '';

  constructor(private readonly route: (method: string, url: string) => boolean) {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  enqueue(...r: FakeResponse[]): this {
    this.queue.push(...r);
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      const at = performance.timeOrigin + performance.now();
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at });
      if (!this.route(req.method ?? '', req.url ?? ''))
        return void res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { message: `no route ${req.url}` } }));
      const next = this.queue.shift();
      if (!next)
        return void res
          .writeHead(500, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { message: 'fake server: no scripted response left' } }));
      void this.respond(next, req, res);
    });
  }

  private async respond(r: FakeResponse, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    switch (r.kind) {
      case 'json':
        res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers }).end(JSON.stringify(r.body));
        return;
      case 'hang':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.flushHeaders();
        res.on('close', () => {
          this.aborted++;
        });
        return;
      case 'sse': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        let closed = false;
        res.on('close', () => {
          if (!res.writableFinished) {
            closed = true;
            this.aborted++;
          }
        });
        const delim = r.delimiter ?? '\n\n';
        for (const [i, f] of r.frames.entries()) {
          if (closed) return;
          if (r.cutAfter !== undefined && i >= r.cutAfter) return this.cut(req, res);
          res.write(`${f.event ? `event: ${f.event}\n` : ''}data: ${typeof f.data === 'string' ? f.data : JSON.stringify(f.data)}${delim}`);
          if (r.frameDelayMs) await new Promise((s) => setTimeout(s, r.frameDelayMs));
        }
        if (r.cutAfter !== undefined && r.cutAfter >= r.frames.length) return this.cut(req, res);
        if (r.doneSentinel) res.write(`data: [DONE]${delim}`);
        res.end();
        return;
      }
      default: {
        const never: never = r;
        return never;
      }
    }
  }

  /** Lets what was written reach the client, then resets the connection without ending the chunked body. */
  private async cut(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    await new Promise<void>((r) => res.write('', () => r()));
    await new Promise((r) => setTimeout(r, 30));
    req.socket.destroy();
  }
}

/** A scripted model turn, rendered into each vendor's wire format by the per-vendor fakes. */
export interface TurnScript {
  text?: string[];
  calls?: Array<{ id: string; name: string; args: string[] }>;
  usage?: { input: number; output: number; cached?: number };
  /** Vendor finish reason override (e.g. 'length' / 'max_tokens' / 'MAX_TOKENS'). */
  finish?: string;
}
