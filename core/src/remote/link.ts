// How the host reaches its kernel: the unix socket in the bind-mounted socket dir (local engine, the fast path), or an
// exec stream into the kernel container through the engine's API (remote engine: no shared socket, no shared files).
import * as fs from 'node:fs';
import type Docker from 'dockerode';
import { KERNEL_IMAGE_RELAY } from '../../../protocol/src/node/assets';
import { connectSocket, SocketTransport } from '../../../protocol/src/node/socket-transport';
import type { ITransport } from '../../../protocol/src/transport';
import { execOutput, execStream } from './exec-stream';

export interface KernelLink {
  /** What it goes through, for messages. */
  readonly describe: string;
  /** Whether a connection attempt can succeed yet (the kernel has written its token and socket). */
  ready(): boolean;
  /** The per-workspace token the kernel wrote (its hello must carry it). */
  token(signal?: AbortSignal): Promise<string>;
  connect(signal?: AbortSignal): Promise<ITransport>;
}

export function socketLink(p: { socket: string; token: string }): KernelLink {
  return {
    describe: p.socket,
    ready: () => fs.existsSync(p.token) && fs.existsSync(p.socket),
    token: async () => fs.readFileSync(p.token, 'utf8').trim(),
    connect: (signal) => connectSocket(p.socket, signal),
  };
}

/** The relay in the kernel image pipes the exec's stdin/stdout to the kernel socket; the engine's TLS (or ssh) is the
 * channel's security, the token still authenticates the client, and the kernel's SO_PEERCRED check sees the relay
 * (the kernel container's own user), not the person. */
export function execLink(container: Docker.Container, node = '/usr/bin/node'): KernelLink {
  return {
    describe: `an exec stream into ${container.id}`,
    ready: () => true,
    token: async (signal) => (await execOutput(container, [node, KERNEL_IMAGE_RELAY, '--token'], { signal, maxBytes: 4096 })).trim(),
    connect: async (signal) => new SocketTransport(await execStream(container, [node, KERNEL_IMAGE_RELAY], { signal })),
  };
}
