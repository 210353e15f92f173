// Peer identity of a socket client: SO_PEERCRED on Linux; other platforms documented, untested here.
import type * as net from 'node:net';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';

export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

type Addon = { getPeerCred(fd: number): PeerCred };
let addon: Addon | null | undefined;

function loadAddon(): Addon | null {
  if (addon === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      addon = require('airlock-peercred') as Addon;
    } catch {
      addon = null;
    }
  }
  return addon;
}

/** Reads the connecting process's credentials. On Linux a missing addon is an error: we fail closed. */
export function peerCredentials(socket: net.Socket): PeerCred {
  if (process.platform !== 'linux') {
    throw new AirlockError(
      ErrorCodes.Unauthorized,
      `peer credentials are not implemented on ${process.platform}`,
      'the kernel runs in a Linux container; connect through the socket it exposes',
    );
  }
  const a = loadAddon();
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (!a || typeof fd !== 'number' || fd < 0) {
    throw new AirlockError(
      ErrorCodes.Unauthorized,
      'cannot read peer credentials (airlock-peercred addon missing)',
      // The kernel image's tag is a hash of its contents: a rebuilt bundle gives a new image on the next command.
      'build the addon and the kernel bundle (`npm install && npm run build` in the Airlock checkout); the next airlock command rebuilds the image',
    );
  }
  return a.getPeerCred(fd);
}

export function peerCredAvailable(): boolean {
  return process.platform === 'linux' && loadAddon() !== null;
}
