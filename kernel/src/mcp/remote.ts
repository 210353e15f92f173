// A remote MCP server (`url`): every connection is a CONNECT tunnel that a relay in the server's sandbox opens through
// the egress proxy (judged as `plugin:mcp:<server>`); TLS (with the person's extra CAs), the headers (tokens
// substituted here, in memory) and the transport (streamable HTTP or the older SSE) are the kernel's, end to end.
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { createHash, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { AirlockError } from '../../../protocol/src/errors';
import type { McpServerConfig } from '../../../protocol/src/methods/mcp';
import { headerDigests, headerRefs, resolveHeaders } from '../../../core/src/mcp/header-template';
import { resolveUrl, shownUrl, urlRefs, urlSecretRefused, urlSecretsOverHttp } from '../../../core/src/mcp/url-template';
import { FORWARDER_PORT } from '../egress/sandbox';
import type { EngineExecStream } from './exec-stream';
import { FallbackTransport } from './fallback-transport';
import { adopt, firstLine, relayFetch, TUNNEL_SOURCE } from './http-relay';

export interface RemoteDeps {
  /** Starts a process in the server's relay sandbox (an engine exec with stdin attached). */
  exec: (argv: string[]) => Promise<EngineExecStream>;
  /** Told each refusal that explains a failure (tunnel refused, TLS, 401/403, stream ended): the SDK says less. */
  refused: (e: AirlockError) => void;
}

/**
 * What `mcp.server.start` records of a remote server: its URL as a template (a literal credential in its query as a
 * digest: shownUrl), header names with digests of their values; never a secret's value.
 */
export function remoteRecord(c: McpServerConfig): Record<string, unknown> {
  let headers: Record<string, string> | null;
  try {
    headers = headerDigests(resolveHeaders(c.name, c.headers, c.env));
  } catch {
    headers = null; // the start fails with the reason right after
  }
  return {
    type: 'remote',
    url: c.url && shownUrl(c.url),
    protocol: c.transport ?? 'auto',
    headers,
    ca: c.ca ? `sha256:${createHash('sha256').update(c.ca).digest('hex')}` : null,
  };
}

/** The system's roots plus the configured PEM certificates; each must parse (a bad bundle is refused, not ignored). */
export function trustedCas(server: string, pem: string): string[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const bad = () =>
    new AirlockError(
      'MCP_CA_INVALID',
      `MCP server ${server}: its CA certificates are not PEM certificates`,
      'give a PEM file of CA certificates (--ca FILE or NODE_EXTRA_CA_CERTS where you run airlock)',
    );
  if (!blocks.length) throw bad();
  for (const b of blocks) {
    try {
      new X509Certificate(b);
    } catch {
      throw bad();
    }
  }
  return [...tls.rootCertificates, ...blocks];
}

const CERT_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT_ALTNAME|UNABLE_TO_GET_ISSUER/;

export function remoteTransport(c: McpServerConfig, d: RemoteDeps): Transport {
  // The schema refuses it too; checked here as well because a token in clear would cross the relay sandbox and the proxy.
  if (urlSecretsOverHttp(c.url!)) throw urlSecretRefused(c.name);
  const url = new URL(resolveUrl(c.name, c.url!, c.env));
  /** The URL as said in errors: never a secret's value. */
  const shown = shownUrl(c.url!);
  const headers = resolveHeaders(c.name, c.headers, c.env);
  const secrets = [...new Set([...Object.values(c.headers ?? {}).flatMap(headerRefs), ...urlRefs(c.url!)])];
  const ca = c.ca ? trustedCas(c.name, c.ca) : undefined;
  const https = url.protocol === 'https:';
  // The schema says so too; checked here as well because a token in clear would cross the relay sandbox and the proxy.
  if (Object.keys(headers).length && !https) {
    throw new AirlockError('MCP_HEADER_INVALID', `MCP server ${c.name}: headers are sent over https only`, 'use its https:// URL');
  }
  const port = url.port || (https ? '443' : '80');
  let last: AirlockError | undefined;
  const refuse = (e: AirlockError): AirlockError => {
    last = e;
    d.refused(e);
    return e;
  };
  /** The SSE transport is in use (given, or fallen back to): its event stream is the session. */
  let sse = c.transport === 'sse';
  const connect = async (): Promise<Duplex> => {
    const p = await d.exec(['node', '-e', TUNNEL_SOURCE, String(FORWARDER_PORT), url.hostname, port]);
    if ((await firstLine(p.stdio)) !== 'OK') {
      p.stdio.destroy();
      await new Promise((res) => setTimeout(res, 50)); // the relay's stderr follows its stdout's end
      throw refuse(
        new AirlockError(
          'MCP_REMOTE_REFUSED',
          `MCP server ${c.name}: ${url.hostname}:${port} was not reached: ${p.stderrTail().trim().slice(0, 500) || 'the tunnel closed'}`,
          `a remote server is reached only through the egress proxy: a rule allowing net.connect on ${url.hostname}:${port} ` +
            `for subject plugin:mcp:${c.name}`,
        ),
      );
    }
    const tunnel = adopt(p.stdio);
    if (!https) return tunnel;
    const servername = isIP(url.hostname) ? undefined : url.hostname;
    // `host` is the name the certificate is checked against (an IP literal gets no SNI but is still checked).
    return tls.connect({ socket: tunnel, host: url.hostname, servername, ALPNProtocols: ['http/1.1'], ...(ca ? { ca } : {}) });
  };
  const relayed = relayFetch(connect);
  let streams = 0;
  const fetch: FetchLike = async (input, init) => {
    const method = init?.method ?? 'GET';
    if (sse && method === 'GET' && streams++ > 0) {
      // EventSource reconnecting: the session's stream ended (the server restarted, or went away). Its session is gone
      // with it, and EventSource would retry every 3 s for ever (a tunnel and its audit records each time): the server
      // is failed instead, as a stdio server whose process ended, and the next mcp/configure starts it again.
      const e = refuse(
        new AirlockError(
          'MCP_REMOTE_STREAM_ENDED',
          `MCP server ${c.name}: its SSE stream from ${url.host} ended`,
          'the next `airlock mcp list`, task or VS Code connection starts it again',
        ),
      );
      void transport.close();
      throw e;
    }
    const h = new Headers(init?.headers);
    for (const [k, v] of Object.entries(headers)) h.set(k, v);
    let res: Response;
    try {
      res = await relayed(input, { ...init, headers: h });
    } catch (e) {
      const code = String((e as { code?: unknown }).code ?? '');
      if (!CERT_ERRORS.test(code)) throw e;
      throw refuse(
        new AirlockError(
          'MCP_REMOTE_TLS',
          `MCP server ${c.name}: the certificate of ${url.host} is not trusted (${code})`,
          'if you trust its CA, point NODE_EXTRA_CA_CERTS at its PEM file where you run airlock, or add the server with ' +
            '`--ca FILE` (docs/mcp.md)',
        ),
      );
    }
    if ((res.status === 404 || res.status === 405) && method === 'POST' && c.transport === 'http' && !h.has('mcp-session-id')) {
      // The first POST (initialize) not taken, streamable HTTP being required: likely a server of the older SSE transport.
      refuse(
        new AirlockError(
          'MCP_REMOTE_TRANSPORT',
          `MCP server ${c.name}: ${shown} does not take streamable HTTP (HTTP ${res.status} to its first POST)`,
          `if it speaks the older SSE transport, add it again with --sse (or "type": "sse" in the file you import)`,
        ),
      );
    }
    if (res.status !== 401 && res.status !== 403) return res;
    const e = refuse(
      new AirlockError(
        'MCP_REMOTE_UNAUTHORIZED',
        `MCP server ${c.name}: ${url.host} answered HTTP ${res.status} (${res.status === 401 ? 'unauthorized' : 'forbidden'}): ` +
          (Object.keys(headers).length ? `it refused the headers sent (${Object.keys(headers).join(', ')})` : 'it sent none'),
        secrets.length
          ? `check ${secrets.join(', ')} (your environment, or the OS keychain entry mcp:${c.name}:${secrets[0]})`
          : `give it a token: \`airlock mcp add ${c.name} --url … --header "Authorization: Bearer \${TOKEN}" --secret TOKEN\``,
      ),
    );
    // The SSE stream's GET answers the status to EventSource, which then stops without retrying; a POST throws.
    if (method === 'GET') return res;
    await res.body?.cancel().catch(() => undefined); // not read: a refusal's body could be slow and large
    throw e;
  };
  const make = (kind: 'http' | 'sse'): Transport =>
    kind === 'sse' ? new SSEClientTransport(url, { fetch }) : new StreamableHTTPClientTransport(url, { fetch });
  // No transport given: streamable HTTP, then SSE when its initialize is answered 404/405 (fallback-transport.ts).
  const transport: Transport = c.transport
    ? make(c.transport)
    : new FallbackTransport(
        make('http'),
        () => {
          sse = true;
          last = undefined;
          return make('sse');
        },
        (first, second) =>
          last ??
          refuse(
            new AirlockError(
              'MCP_REMOTE_TRANSPORT',
              `MCP server ${c.name}: neither streamable HTTP (HTTP ${String((first as { code?: unknown }).code)}) nor SSE ` +
                `(${second.message.slice(0, 200)}) answered at ${shown}`,
              'check the URL of its MCP endpoint (often …/mcp for streamable HTTP, …/sse for SSE)',
            ),
          ),
      );
  return transport;
}
