// The provider worker's warm-up: a model request run once through the worker's own code, with no network, before any
// task takes the worker (a spare, spare.ts), so the first real request finds that code compiled.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { OpenAIChatProvider } from '../providers/openai-chat';
import { ToWorker } from './frames';
import { socketFetch } from './socket-fetch';

/** One streamed Chat Completions answer. */
export const WARM_SSE = [
  { choices: [{ index: 0, delta: { role: 'assistant', content: 'w' }, finish_reason: null }] },
  { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
]
  .map((c) => `data: ${JSON.stringify({ id: 'warm', object: 'chat.completion.chunk', created: 0, model: 'warm', ...c })}\n\n`)
  .concat('data: [DONE]\n\n')
  .join('');

/**
 * A request frame shaped like a task's (system prompt, a tool, a tool call and its result), as the kernel writes it: the
 * frame's schema and the SDK's conversion of tools and messages are compiled by the warm-up, not by the first turn.
 */
export const WARM_FRAME = JSON.stringify({
  t: 'request',
  id: 'warm',
  vendor: 'openai-compatible',
  request: {
    model: 'warm',
    system: 'warm',
    maxOutputTokens: 16,
    messages: [
      { role: 'user', content: 'warm' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'w1', name: 'fs.read', arguments: '{"path":"a"}' }] },
      { role: 'tool', toolCallId: 'w1', name: 'fs.read', content: 'a', isError: false },
    ],
    tools: [
      {
        name: 'fs.read',
        description: 'warm',
        inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'], additionalProperties: false },
        capabilities: [],
      },
    ],
  },
});

/** Listens on a fresh socket in the temp dir and answers every request with `sse` as an event stream. */
export async function warmServer(sse: string): Promise<{ path: string; close: () => void }> {
  const where = path.join(os.tmpdir(), `airlock-warm-${randomBytes(4).toString('hex')}.sock`);
  const server = http.createServer((q, r) => {
    q.resume();
    q.on('end', () => r.writeHead(200, { 'content-type': 'text/event-stream' }).end(sse));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(where, resolve);
  });
  return {
    path: where,
    close: () => {
      server.closeAllConnections();
      server.close();
      fs.rmSync(where, { force: true });
    },
  };
}

/**
 * Passes of the warm-up. After one, a fresh worker's first real request still took ~8 ms from its frame to the endpoint,
 * its second ~2.5 ms (V8 had compiled the code, not yet optimised it); after five, ~4 ms (measured with the worker as a
 * child process on one core and the endpoint on a unix socket; in the product bench/ux.ts's send → first token shows it).
 */
export const WARM_PASSES = 5;

/**
 * Runs the request path WARM_PASSES times: a fresh worker's first model request otherwise pays for compiling the frame
 * schema, the SDK's request and stream code and the HTTP client (hundreds of ms under the sandbox's CPU quota). With the endpoint's
 * socket, the answer comes from a server in this process on a socket in /tmp, through the same socket fetch a model
 * request takes (the kernel's endpoint is never asked: a warm-up must not reach a vendor); without it, Node's fetch
 * and an in-process answer. A real request arriving meanwhile simply waits its turn on this thread.
 */
export async function warm(socket: string | undefined, key: string): Promise<void> {
  const frame = ToWorker.parse(JSON.parse(WARM_FRAME));
  if (frame.t !== 'request') return;
  const sse = socket ? await warmServer(WARM_SSE).catch(() => undefined) : undefined;
  if (!socket) await (await fetch('data:,warm')).text();
  const canned: typeof fetch = async () => new Response(WARM_SSE, { headers: { 'content-type': 'text/event-stream' } });
  const f = sse ? socketFetch(sse.path, 'http://warm.invalid') : canned;
  try {
    for (let i = 0; i < WARM_PASSES; i++) {
      const p = new OpenAIChatProvider({ apiKey: key, baseURL: 'http://warm.invalid/v1', fetch: f }, 'openai-compatible');
      for await (const e of p.stream(frame.request, new AbortController().signal)) JSON.stringify({ t: 'event', id: frame.id, event: e });
    }
  } finally {
    sse?.close();
  }
}
