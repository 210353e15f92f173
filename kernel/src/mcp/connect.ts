// How a server run (server.ts) reaches a server that is not on its stdio: a streamable-HTTP one on its sandbox's
// loopback, once it listens, through relay execs; a remote one through the egress proxy's tunnel (remote.ts).
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { AirlockError } from '../../../protocol/src/errors';
import type { McpServerConfig } from '../../../protocol/src/methods/mcp';
import type { SandboxService } from '../runtime/no-sandboxes';
import { engineAt, engineExecStream, type EngineExecStream } from './exec-stream';
import { PROBE_SOURCE, RELAY_SOURCE, relayFetch } from './http-relay';
import { remoteTransport } from './remote';

export const START_TIMEOUT_MS = 60_000;
export const HASH_TIMEOUT_MS = 120_000;
/** How often a starting HTTP server's port is probed. */
const PROBE_EVERY_MS = 150;

/** The run's sandbox, as the transports use it (its id, the engine it runs on). */
export interface ConnectSandbox {
  name: string;
  sandboxes: Pick<SandboxService, 'exec' | 'runtime'>;
  sandbox: string;
  containerId: string;
  user: string | undefined;
}

/** A local HTTP server's process and what the run must hear of it while its port is probed. */
export interface HttpProcess {
  proc: EngineExecStream;
  /** The server's own process checks its package first (identity.ts): it keeps the hashing exec's time before it listens. */
  checkedInProcess: boolean;
  /** False once the run failed or was stopped: probing ends. */
  starting(): boolean;
  /** The process ended (its stdout closed): the server died. */
  ended(): void;
}

/**
 * The server's process only logs on stdout (drained); when it ends the server died. Its port on the sandbox's loopback
 * is probed until it listens, then every HTTP connection is a relay exec into the sandbox (no network is involved).
 */
export async function httpTransport(s: ConnectSandbox, p: HttpProcess, h: { port: number; path: string }): Promise<Transport> {
  const proc = p.proc;
  proc.stdio.on('end', () => p.ended());
  proc.stdio.resume();
  const deadline = Date.now() + START_TIMEOUT_MS + (p.checkedInProcess ? HASH_TIMEOUT_MS : 0);
  for (;;) {
    if (!p.starting()) throw new AirlockError('MCP_SERVER_START_FAILED', `MCP server ${s.name} ended before it listened on port ${h.port}`);
    const r = await s.sandboxes.exec(s.sandbox, { argv: ['node', '-e', PROBE_SOURCE, String(h.port)], timeoutMs: 10_000 });
    if (r.exitCode === 0) break;
    if (Date.now() > deadline) {
      throw new AirlockError(
        'MCP_SERVER_START_FAILED',
        `MCP server ${s.name} did not listen on port ${h.port} within ${START_TIMEOUT_MS} ms`,
        'check the port it serves streamable HTTP on (`airlock mcp add … --port`)',
      );
    }
    await new Promise((res) => setTimeout(res, PROBE_EVERY_MS));
  }
  const docker = engineAt(s.sandboxes.runtime.socketPath);
  const relay = async () =>
    (await engineExecStream(docker, s.containerId, ['node', '-e', RELAY_SOURCE, String(h.port)], { user: s.user })).stdio;
  return new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${h.port}${h.path}`), { fetch: relayFetch(relay) });
}

/**
 * A remote server: nothing of it runs here. Each connection is a CONNECT tunnel opened by a relay in this server's
 * sandbox through the egress proxy (remote.ts); TLS and the headers are the kernel's, so the sandbox sees ciphertext.
 * `refused` hears the first refusal that explains a failure.
 */
export async function remoteServerTransport(
  s: ConnectSandbox,
  config: McpServerConfig,
  refused: (e: AirlockError) => void,
): Promise<Transport> {
  // Through the exec agent first: it runs the forwarder to the proxy socket on the sandbox's loopback. (Not a probe of
  // the port: that would be a connection the proxy records as refused.)
  const up = await s.sandboxes.exec(s.sandbox, { argv: ['node', '-e', ''], timeoutMs: 10_000 });
  if (up.exitCode !== 0)
    throw new AirlockError('MCP_SERVER_START_FAILED', `MCP server ${s.name}: its relay sandbox does not run (${up.stderr.slice(-300)})`);
  const docker = engineAt(s.sandboxes.runtime.socketPath);
  return remoteTransport(config, {
    exec: (argv) => engineExecStream(docker, s.containerId, argv, { user: s.user }),
    refused,
  });
}
