// The kernel's relayed fetch (kernel/src/mcp/http-relay.ts) on event streams, as the SSE transport uses them: capped
// per event rather than per response (a legacy SSE session carries every answer on one response), and a body the reader
// cancels while the server still streams ends quietly (the SDK cancels its stream when a client closes).
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { relayFetch } from '../../../kernel/src/mcp/http-relay';

describe('relayed event streams', () => {
  let server: http.Server;
  let port: number;
  const timers = new Set<NodeJS.Timeout>();
  before(async () => {
    server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (req.url === '/many') {
        for (let i = 0; i < 8; i++) res.write(`data: ${'x'.repeat(600)}\r\n\r\n`);
        res.end();
      } else if (req.url === '/one') res.end(`data: ${'y'.repeat(1500)}\n\n`);
      else {
        const t = setInterval(() => res.write(`data: ${'z'.repeat(4000)}\n\n`), 1);
        timers.add(t);
        res.on('close', () => clearInterval(t));
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => {
    for (const t of timers) clearInterval(t);
    server.closeAllConnections();
    server.close();
  });

  const fetch = (max: number) => relayFetch(async () => net.connect(port, '127.0.0.1'), max);

  it('caps each event, not the whole stream', async () => {
    const text = await (await fetch(1000)(`http://127.0.0.1:${port}/many`)).text();
    assert.equal(text.length, 8 * 610);
    await assert.rejects((await fetch(1000)(`http://127.0.0.1:${port}/one`)).text(), /exceeded 1000 bytes/);
  });

  it('a stream cancelled while the server still writes ends without an error', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(1 << 20)(`http://127.0.0.1:${port}/endless`);
      const reader = res.body!.getReader();
      // Cancelled with a read pending, as the SDK's reading loop is when its transport closes.
      const pending = reader.read();
      await reader.cancel();
      await pending;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300)); // an enqueue after the cancel would be an uncaught error here
  });
});
