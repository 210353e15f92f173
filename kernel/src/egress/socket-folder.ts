// One sandbox's socket folder under the egress dir: checked name, fresh, world-readable (the sandbox may run as
// another uid than the kernel), and the socket in it world-connectable once listening. Shared by proxy and endpoint.
import * as fs from 'node:fs';
import type * as net from 'node:net';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';

export async function listenInFolder(
  dir: string,
  sandbox: string,
  name: string,
  server: net.Server,
): Promise<{ folder: string; socketPath: string }> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(sandbox))
    throw new AirlockError('EGRESS_BAD_SANDBOX', `sandbox id ${JSON.stringify(sandbox)} is not a plain name`);
  const folder = path.join(dir, sandbox);
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true, mode: 0o755 });
  fs.chmodSync(folder, 0o755);
  const socketPath = path.join(folder, name);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  fs.chmodSync(socketPath, 0o666);
  return { folder, socketPath };
}

/** Stops a sandbox's server (after its connections were cut) and removes its folder. */
export async function closeInFolder(server: net.Server, folder: string): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(folder, { recursive: true, force: true });
}
