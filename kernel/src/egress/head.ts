// The one request head a proxy connection may send: read with a size cap and a deadline, parsed strictly.
import type { Socket } from 'node:net';
import { parseAuthority, resource, sameTarget, type Target } from './target';

export const MAX_HEAD_BYTES = 16 * 1024;
export const HEAD_TIMEOUT_MS = 10_000;

export type ProxyRequest =
  /** A CONNECT tunnel: bytes are relayed unread (TLS is never interpreted). */
  | { kind: 'connect'; target: Target }
  /** A plain http:// request: forwarded in origin form, one per connection, body framed by Content-Length only. */
  | { kind: 'http'; target: Target; method: string; path: string; headers: Array<[string, string]>; bodyBytes: number };

export type HeadResult = { ok: true; request: ProxyRequest; rest: Buffer } | { ok: false; status: number; reason: string };

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Not forwarded: they concern this hop (RFC 9110 §7.6.1), or would switch the upstream connection to another protocol. */
const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Reads until the blank line that ends the head: at most MAX_HEAD_BYTES and HEAD_TIMEOUT_MS, else a refusal. */
export function readHead(
  sock: Socket,
  timeoutMs = HEAD_TIMEOUT_MS,
): Promise<{ head: Buffer; rest: Buffer } | { error: string; status: number }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (v: { head: Buffer; rest: Buffer } | { error: string; status: number }) => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('error', onEnd);
      sock.pause();
      resolve(v);
    };
    const timer = setTimeout(() => finish({ error: `no complete request head within ${timeoutMs} ms`, status: 408 }), timeoutMs);
    const onEnd = () => finish({ error: 'the connection closed before a complete request head', status: 400 });
    const onData = (d: Buffer) => {
      // SOCKS (0x04/0x05) or TLS straight to the proxy (0x16) would wait for our answer forever: refuse at the first byte.
      if (!chunks.length && d.length && (d[0] < 0x41 || d[0] > 0x5a)) {
        return finish({ error: d[0] === 4 || d[0] === 5 ? 'SOCKS is not offered; use HTTP CONNECT' : 'not an HTTP request', status: 400 });
      }
      chunks.push(d);
      size += d.length;
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end >= 0 && end + 4 <= MAX_HEAD_BYTES) return finish({ head: all.subarray(0, end), rest: all.subarray(end + 4) });
      if (size > MAX_HEAD_BYTES) finish({ error: `the request head is over ${MAX_HEAD_BYTES} bytes`, status: 431 });
    };
    sock.on('data', onData);
    sock.once('end', onEnd);
    sock.once('error', onEnd);
  });
}

function bad(reason: string, status = 400): HeadResult {
  return { ok: false, status, reason };
}

/** Parses a head (without its final blank line). Refuses anything a server or another proxy could read differently. */
export function parseHead(head: Buffer, rest: Buffer): HeadResult {
  if (head.length && (head[0] === 4 || head[0] === 5)) return bad('SOCKS is not offered; use HTTP CONNECT through HTTP(S)_PROXY');
  const text = head.toString('latin1');
  if (/[\x00\x7f-\xff]/.test(text)) return bad('the request head contains NUL or non-ASCII bytes');
  const lines = text.split('\r\n');
  if (lines.some((l) => /[\r\n]/.test(l))) return bad('the request head has a bare CR or LF');
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(lines[0]);
  if (!m) return bad('the request line is not `METHOD target HTTP/1.x`');
  const [, method, uri] = m;
  const headers: Array<[string, string]> = [];
  for (const l of lines.slice(1)) {
    if (/^[ \t]/.test(l)) return bad('folded header lines are not accepted');
    const c = l.indexOf(':');
    const name = c > 0 ? l.slice(0, c) : '';
    if (!TOKEN.test(name)) return bad(`header line ${JSON.stringify(l.slice(0, 60))} is malformed`);
    const value = l.slice(c + 1).trim();
    if (/[\x00-\x08\x0a-\x1f]/.test(value)) return bad(`header ${name} contains a control character`);
    headers.push([name, value]);
  }
  const hosts = headers.filter(([n]) => n.toLowerCase() === 'host');
  if (hosts.length > 1) return bad('more than one Host header');
  if (method === 'CONNECT') {
    const t = parseAuthority(uri);
    if (!t.ok) return bad(t.reason);
    // The Host header of a CONNECT is never used or forwarded (clients send the target or the proxy's own address):
    // only the request target is judged and connected to.
    // A client that sends before the tunnel is granted is not a normal client: nothing rides on a refused or pending CONNECT.
    if (rest.length) return bad('data was sent before the tunnel was established');
    return { ok: true, request: { kind: 'connect', target: t.target }, rest };
  }
  return parseHttp(method, uri, headers, hosts[0]?.[1], rest);
}

function parseHttp(method: string, uri: string, headers: Array<[string, string]>, host: string | undefined, rest: Buffer): HeadResult {
  const u = /^http:\/\/([^/?#]*)([/?][^#]*)?$/i.exec(uri);
  if (!u) {
    if (/^https:/i.test(uri)) return bad('https:// targets go through CONNECT (the proxy never opens TLS itself)');
    return bad('a plain HTTP request through the proxy needs an absolute http:// URI (origin-form requests are not relayed)');
  }
  const t = parseAuthority(u[1], 80);
  if (!t.ok) return bad(t.reason);
  if (host !== undefined) {
    const h = parseAuthority(host, 80);
    if (!h.ok || !sameTarget(h.target, t.target))
      return bad(`the Host header ${JSON.stringify(host.slice(0, 100))} disagrees with the URI's host ${u[1]}`);
  }
  const get = (n: string) => headers.filter(([k]) => k.toLowerCase() === n);
  if (get('transfer-encoding').length) return bad('Transfer-Encoding bodies are not relayed over plain HTTP; use HTTPS (CONNECT)', 411);
  const lengths = get('content-length');
  if (lengths.length > 1 || (lengths.length && !/^[0-9]{1,15}$/.test(lengths[0][1]))) return bad('the Content-Length header is malformed');
  const bodyBytes = lengths.length ? Number(lengths[0][1]) : 0;
  const kept = headers.filter(([k]) => !HOP.has(k.toLowerCase()) && k.toLowerCase() !== 'host');
  const authority = t.target.port === 80 ? resource(t.target).replace(/:80$/, '') : resource(t.target);
  const out: Array<[string, string]> = [['Host', authority], ...kept, ['Connection', 'close']];
  return { ok: true, request: { kind: 'http', target: t.target, method, path: u[2] ?? '/', headers: out, bodyBytes }, rest };
}

/** The head sent upstream for a plain HTTP request. */
export function upstreamHead(r: Extract<ProxyRequest, { kind: 'http' }>): Buffer {
  return Buffer.from(`${r.method} ${r.path} HTTP/1.1\r\n${r.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`, 'latin1');
}
