// The provider worker's fetch down the endpoint's unix socket (provider-worker/socket-fetch.ts) and its warm-up server.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { socketFetch } from '../../../kernel/src/agent/provider-worker/socket-fetch';
import { WARM_FRAME, WARM_SSE, warmServer } from '../../../kernel/src/agent/provider-worker/warm';
import { ToWorker } from '../../../kernel/src/agent/provider-worker/frames';
import { OpenAIChatProvider } from '../../../kernel/src/agent/providers/openai-chat';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** An HTTP server on a unix socket in a temp dir; `handle` answers, every request is recorded. */
async function socketServer(handle: (q: http.IncomingMessage, r: http.ServerResponse) => void) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-sockfetch-'));
  const where = path.join(dir, 'provider.sock');
  const seen: Seen[] = [];
  const server = http.createServer((q, r) => {
    const chunks: Buffer[] = [];
    q.on('data', (c: Buffer) => chunks.push(c));
    q.on('end', () => {
      seen.push({ method: q.method ?? '', url: q.url ?? '', headers: q.headers, body: Buffer.concat(chunks).toString() });
      handle(q, r);
    });
  });
  await new Promise<void>((resolve) => server.listen(where, resolve));
  return {
    where,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('provider worker: fetch over the endpoint socket', () => {
  const ORIGIN = 'http://127.0.0.1:3129';

  it('sends a request to the endpoint origin down the socket: method, path and query, headers, body, host', async () => {
    const s = await socketServer((_q, r) => r.writeHead(201, { 'x-answer': 'yes', 'content-type': 'application/json' }).end('{"ok":1}'));
    try {
      // Nothing listens on the origin's port: only the socket can answer.
      const f = socketFetch(s.where, `${ORIGIN}/v1`, () => Promise.reject(new Error('the fallback must not be used')));
      const res = await f(`${ORIGIN}/v1/chat/completions?x=1`, {
        method: 'POST',
        headers: { authorization: 'Bearer airlock-placeholder', 'content-type': 'application/json' },
        body: '{"model":"m"}',
      });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('x-answer'), 'yes');
      assert.deepEqual(await res.json(), { ok: 1 });
      const q = s.seen[0]!;
      assert.equal(q.method, 'POST');
      assert.equal(q.url, '/v1/chat/completions?x=1');
      assert.equal(q.body, '{"model":"m"}');
      assert.equal(q.headers.authorization, 'Bearer airlock-placeholder');
      assert.equal(q.headers.host, '127.0.0.1:3129');
      assert.equal(q.headers['content-length'], String('{"model":"m"}'.length));
    } finally {
      await s.close();
    }
  });

  it('streams the answer as it comes (an SSE chunk is readable before the answer ends)', async () => {
    let finish!: () => void;
    const s = await socketServer((_q, r) => {
      r.writeHead(200, { 'content-type': 'text/event-stream' });
      r.write('data: first\n\n');
      finish = () => r.end('data: [DONE]\n\n');
    });
    try {
      const res = await socketFetch(s.where, ORIGIN)(`${ORIGIN}/v1/x`, { method: 'POST', body: '{}' });
      const reader = res.body!.getReader();
      const first = await reader.read();
      assert.equal(Buffer.from(first.value!).toString(), 'data: first\n\n', 'the first chunk came while the answer was open');
      finish();
      let rest = '';
      for (let c = await reader.read(); !c.done; c = await reader.read()) rest += Buffer.from(c.value).toString();
      assert.equal(rest, 'data: [DONE]\n\n');
    } finally {
      await s.close();
    }
  });

  it('gives a body-less answer (204) a null body, and leaves other origins to the fallback', async () => {
    const s = await socketServer((_q, r) => r.writeHead(204).end());
    try {
      const other: string[] = [];
      const f = socketFetch(s.where, ORIGIN, async (input) => {
        other.push(String(input));
        return new Response('fallback');
      });
      const res = await f(`${ORIGIN}/v1/models`);
      assert.equal(res.status, 204);
      assert.equal(res.body, null);
      assert.equal(await (await f('data:,warm')).text(), 'fallback');
      assert.deepEqual(other, ['data:,warm']);
      assert.equal(s.seen.length, 1);
    } finally {
      await s.close();
    }
  });

  it('an abort before the answer rejects with the signal’s reason (not a connection error the SDK would retry)', async () => {
    const s = await socketServer(() => undefined); // never answers
    try {
      const ac = new AbortController();
      const p = socketFetch(s.where, ORIGIN)(`${ORIGIN}/v1/x`, { method: 'POST', body: '{}', signal: ac.signal });
      for (let i = 0; i < 100 && !s.seen.length; i++) await new Promise((r) => setTimeout(r, 10));
      const reason = new Error('stopped by a person');
      ac.abort(reason);
      await assert.rejects(p, (e) => e === reason);
    } finally {
      await s.close();
    }
  });

  it('the warm-up runs a task-shaped request frame (system, a tool, a tool round trip) through the SDK and this fetch', async () => {
    const frame = ToWorker.parse(JSON.parse(WARM_FRAME));
    assert.ok(frame.t === 'request');
    assert.ok(frame.request.system && frame.request.tools.length === 1);
    assert.deepEqual(
      frame.request.messages.map((m) => m.role),
      ['user', 'assistant', 'tool'],
    );
    const seen: string[] = [];
    const w = await warmServer(WARM_SSE);
    const f = socketFetch(w.path, 'http://warm.invalid');
    const spy: typeof fetch = async (input, init) => {
      seen.push(String(init?.body ?? ''));
      return f(input, init);
    };
    const p = new OpenAIChatProvider({ apiKey: 'k', baseURL: 'http://warm.invalid/v1', fetch: spy }, 'openai-compatible');
    let text = '';
    for await (const e of p.stream(frame.request, new AbortController().signal)) if (e.type === 'text-delta') text += e.text;
    assert.equal(text, 'w');
    const body = JSON.parse(seen[0]!) as { tools: unknown[]; messages: Array<{ role: string }> };
    assert.equal(body.tools.length, 1, "the SDK converted the frame's tool");
    assert.deepEqual(
      body.messages.map((m) => m.role),
      ['system', 'user', 'assistant', 'tool'],
    );
    w.close();
    assert.equal(fs.existsSync(w.path), false);
  });
});
