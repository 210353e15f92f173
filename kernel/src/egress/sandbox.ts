// What a sandbox with egress gets: the kernel's socket folder mounted read-only, a forwarder on loopback inside it (run
// by the exec agent's node, as the sandbox user), and the proxy variables (or the provider endpoint's URL).
import * as path from 'node:path';
import type { EgressWiring } from '../runtime/sandbox-options';
import type { EgressEndpoint } from './proxy';
import { SOCKET_NAME } from './proxy';
import { PROVIDER_SOCKET_NAME } from './provider';

/** Where the socket folder is mounted inside the sandbox. */
export const SANDBOX_EGRESS_DIR = '/run/airlock-egress';
export const FORWARDER_PORT = 3128;
const PROXY_URL = `http://127.0.0.1:${FORWARDER_PORT}`;

/** Inside an ai-provider sandbox: the provider endpoint, plain HTTP (the kernel adds the key and the TLS). */
export const PROVIDER_PORT = 3129;
export const PROVIDER_URL = `http://127.0.0.1:${PROVIDER_PORT}`;

/**
 * Prepended to the exec agent's program when the sandbox has egress: listens on loopback (the sandbox's only
 * interface) and pipes each connection to the kernel's socket: 3128 to the proxy, 3129 to the provider endpoint.
 * It reads nothing; the kernel judges everything. Wrapped so its names stay out of the agent's scope; a failure to
 * listen leaves the sandbox offline, nothing more.
 */
export const FORWARDER_SOURCE = String.raw`
(() => { const net = require('net');
  const fwd = (sock, port) => { if (!sock) return;
    const srv = net.createServer({ allowHalfOpen: true }, (c) => { const u = net.connect({ path: sock, allowHalfOpen: true });
      const bye = () => { c.destroy(); u.destroy(); }; c.on('error', bye); u.on('error', bye); c.on('close', bye); u.on('close', bye);
      c.pipe(u); u.pipe(c); });
    srv.on('error', () => {}); srv.listen(port, '127.0.0.1'); srv.unref(); };
  fwd(process.env.AIRLOCK_EGRESS_SOCKET, ${FORWARDER_PORT}); fwd(process.env.AIRLOCK_PROVIDER_SOCKET, ${PROVIDER_PORT}); })();
`;

/** What an ai-provider sandbox gets: the endpoint's socket folder, and its URL; no proxy variables (no other way out). */
export function providerWiring(ep: EgressEndpoint): EgressWiring {
  return {
    folder: path.dirname(ep.socketPath),
    mount: { type: 'bind', source: ep.hostFolder, target: SANDBOX_EGRESS_DIR, readOnly: true },
    env: { AIRLOCK_PROVIDER_SOCKET: `${SANDBOX_EGRESS_DIR}/${PROVIDER_SOCKET_NAME}`, AIRLOCK_PROVIDER_URL: PROVIDER_URL },
  };
}

/** The mount and environment that put a sandbox behind its proxy endpoint. */
export function egressWiring(ep: EgressEndpoint): EgressWiring {
  return {
    folder: path.dirname(ep.socketPath),
    mount: { type: 'bind', source: ep.hostFolder, target: SANDBOX_EGRESS_DIR, readOnly: true },
    env: {
      AIRLOCK_EGRESS_SOCKET: `${SANDBOX_EGRESS_DIR}/${SOCKET_NAME}`,
      HTTP_PROXY: PROXY_URL,
      HTTPS_PROXY: PROXY_URL,
      http_proxy: PROXY_URL,
      https_proxy: PROXY_URL,
      // Loopback test servers inside the sandbox are reached directly; everything else goes through the proxy.
      NO_PROXY: 'localhost,127.0.0.1,::1',
      no_proxy: 'localhost,127.0.0.1,::1',
      npm_config_proxy: PROXY_URL,
      npm_config_https_proxy: PROXY_URL,
    },
  };
}
