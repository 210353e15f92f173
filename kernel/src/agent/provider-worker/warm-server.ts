// The provider worker's warm-up server: one canned answer on a unix socket in the sandbox's /tmp, in the worker's own
// process, so the warm-up runs the socket fetch a model request takes without asking the kernel's endpoint.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

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
