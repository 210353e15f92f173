// A stdio socket is handed over only to the launcher the kernel started: its first line must be the nonce; the bytes
// after it (the command's first output) reach the caller's 'data' listener; anyone else is cut.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { prove } from '../../../kernel/src/mcp/socket-exec';

/** A connected pair over a unix socket: the kernel's accepted end (paused, as the server accepts it) and the client. */
async function pair(): Promise<{ kernel: net.Socket; client: net.Socket; close: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-nonce-'));
  const server = net.createServer({ pauseOnConnect: true });
  await new Promise<void>((r) => server.listen(path.join(dir, 's.sock'), r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const client = net.connect(path.join(dir, 's.sock'));
  const kernel = await accepted;
  return {
    kernel,
    client,
    close: () => {
      client.destroy();
      kernel.destroy();
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('mcp: the stdio socket proves who connected', () => {
  const NONCE = 'ab'.repeat(16);

  it('accepts the nonce and passes what follows it, in order, to the listener added afterwards', async () => {
    const p = await pair();
    try {
      p.client.write(`${NONCE}\n{"first":1}\n`);
      assert.equal(await prove(p.kernel, NONCE), true);
      let got = '';
      p.kernel.on('data', (d: Buffer) => (got += d.toString()));
      p.client.end('{"second":2}\n');
      await new Promise((r) => p.kernel.once('end', r));
      assert.equal(got, '{"first":1}\n{"second":2}\n');
    } finally {
      p.close();
    }
  });

  it('cuts another process that connects first (a wrong first line, or an end before it)', async () => {
    const wrong = await pair();
    try {
      wrong.client.write(`${'cd'.repeat(16)}\nhello\n`);
      assert.equal(await prove(wrong.kernel, NONCE), false);
      assert.ok(wrong.kernel.destroyed);
    } finally {
      wrong.close();
    }
    const early = await pair();
    try {
      early.client.end('ab');
      assert.equal(await prove(early.kernel, NONCE), false);
    } finally {
      early.close();
    }
  });
});
