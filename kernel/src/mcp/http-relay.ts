// HTTP to a streamable-HTTP MCP server listening inside its own sandbox, which has no network: each connection is an
// engine exec of a tiny relay in the sandbox (stdin/stdout ⇄ 127.0.0.1:<port> there), and the SDK's
// StreamableHTTPClientTransport gets a `fetch` that speaks HTTP/1.1 over that stream. Responses are size-capped.
import * as http from 'node:http';
import { Duplex } from 'node:stream';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

/** Runs in the sandbox (`node -e RELAY PORT`): one TCP connection to the server, piped both ways, exit when it closes. */
export const RELAY_SOURCE = String.raw`const s = require('net').connect(Number(process.argv[1]), '127.0.0.1');
s.on('error', (e) => { process.stderr.write(String(e && e.code || e)); process.exit(1); });
s.on('connect', () => { process.stdin.pipe(s); s.pipe(process.stdout); });
s.on('close', () => process.exit(0));`;

/** Exits 0 once something listens on the port in the sandbox (the server is up), 1 otherwise. */
export const PROBE_SOURCE = String.raw`const s = require('net').connect(Number(process.argv[1]), '127.0.0.1');
s.on('connect', () => { s.destroy(); process.exit(0); }); s.on('error', () => process.exit(1));`;

/**
 * At most this much of one response is read; past it the stream errors. An event stream is capped per event instead (a
 * legacy SSE session carries every answer on one long-lived response; one event is one message).
 */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** A fetch whose every request opens a new relayed connection (`connect`), HTTP/1.1, `connection: close`. */
export function relayFetch(connect: () => Promise<Duplex>, maxBytes = MAX_RESPONSE_BYTES): FetchLike {
  return async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const signal = init?.signal ?? undefined;
    signal?.throwIfAborted();
    const headers = new Headers(init?.headers);
    headers.set('connection', 'close');
    headers.set('host', url.host);
    const body = init?.body === undefined || init.body === null ? undefined : Buffer.from(await new Response(init.body).arrayBuffer());
    if (body) headers.set('content-length', String(body.length));
    const plain: Record<string, string> = {};
    headers.forEach((v, k) => {
      plain[k] = v;
    });
    const stream = await connect();
    return new Promise<Response>((resolve, reject) => {
      const req = http.request(
        {
          method: init?.method ?? 'GET',
          path: `${url.pathname}${url.search}`,
          headers: plain,
          createConnection: () => stream as unknown as import('node:net').Socket,
          signal,
        },
        (res) => {
          let seen = 0;
          const events = /^text\/event-stream/i.test(String(res.headers['content-type'] ?? ''));
          let line = 0;
          let lastCr = false;
          // A web stream of our own rather than Readable.toWeb: that adapter enqueues chunks still flowing after the
          // reader cancelled (the SDK cancels an SSE stream when it closes), an uncaught ERR_INVALID_STATE.
          let done = false;
          const end = () => {
            done = true;
            res.destroy();
            stream.destroy();
          };
          const body = new ReadableStream<Uint8Array>({
            start(controller) {
              res.on('data', (c: Buffer) => {
                if (done) return;
                if (events) {
                  // Bytes of the current event: it ends at an empty line (lines end in \n, \r or \r\n).
                  for (let i = 0; i < c.length && seen <= maxBytes; i++) {
                    const b = c[i];
                    seen++;
                    if (b === 10 && lastCr) {
                      lastCr = false;
                      continue;
                    }
                    lastCr = b === 13;
                    if (b !== 10 && b !== 13) line++;
                    else if (line) line = 0;
                    else seen = 0;
                  }
                } else seen += c.length;
                if (seen > maxBytes) {
                  end();
                  controller.error(new Error(`the MCP server's response exceeded ${maxBytes} bytes`));
                  return;
                }
                controller.enqueue(new Uint8Array(c.buffer, c.byteOffset, c.length));
                if ((controller.desiredSize ?? 1) <= 0) res.pause();
              });
              res.on('end', () => {
                if (done) return;
                end();
                controller.close();
              });
              res.on('error', (e) => {
                if (done) return;
                end();
                controller.error(e);
              });
            },
            pull() {
              res.resume();
            },
            cancel() {
              end();
            },
          });
          const out = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out.set(k, Array.isArray(v) ? v.join(', ') : v);
          const status = res.statusCode ?? 502;
          // Bodies are not allowed on these statuses (Response refuses one).
          const nobody = status === 204 || status === 205 || status === 304 || init?.method === 'HEAD';
          if (nobody) res.resume();
          const web = nobody ? null : body;
          resolve(new Response(web, { status, statusText: res.statusMessage, headers: out }));
        },
      );
      req.on('error', (e) => {
        stream.destroy();
        reject(e);
      });
      req.end(body);
    });
  };
}

/**
 * Runs in a remote server's sandbox (`node -e TUNNEL PROXYPORT HOST PORT`): a CONNECT tunnel through the egress
 * forwarder on the sandbox's loopback (the proxy judges it as the server's plugin subject and records it), then the
 * bytes both ways. It prints `OK` once the proxy opened the tunnel; a refusal goes to stderr with the proxy's reason.
 */
export const TUNNEL_SOURCE = String.raw`const [proxyPort, host, port] = process.argv.slice(1);
const s = require('net').connect(Number(proxyPort), '127.0.0.1');
let head = Buffer.alloc(0); let open = false;
s.on('error', (e) => { process.stderr.write('the egress proxy: ' + String(e && e.code || e)); process.exit(1); });
s.on('connect', () => s.write('CONNECT ' + host + ':' + port + ' HTTP/1.1\r\nHost: ' + host + ':' + port + '\r\n\r\n'));
s.on('data', function first(c) {
  head = Buffer.concat([head, c]);
  const i = head.indexOf('\r\n\r\n');
  if (i < 0 && head.length < 65536) return;
  if (!/^HTTP\/1\.[01] 200/.test(head.subarray(0, 16).toString())) return;
  open = true; s.removeListener('data', first);
  process.stdout.write('OK\n'); const rest = head.subarray(i + 4); if (rest.length) process.stdout.write(rest);
  process.stdin.pipe(s); s.pipe(process.stdout);
});
s.on('close', () => { if (!open) { process.stderr.write(head.toString('utf8').slice(0, 2000)); process.exit(2); } process.exit(0); });`;

/** The first line the tunnel prints (≤ 64 bytes), the bytes after it put back; null when it ended first. */
export function firstLine(d: Duplex): Promise<string | null> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const done = (v: string | null) => {
      d.off('data', onData);
      d.off('end', onEnd);
      d.off('error', onEnd);
      d.off('close', onEnd);
      resolve(v);
    };
    const onEnd = () => done(null);
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const i = buf.indexOf(10);
      if (i < 0) {
        if (buf.length > 64) {
          d.pause();
          done(null);
        }
        return;
      }
      d.pause();
      const rest = buf.subarray(i + 1);
      if (rest.length) d.unshift(rest);
      done(buf.subarray(0, i).toString('utf8'));
    };
    d.on('data', onData);
    d.on('end', onEnd);
    d.on('error', onEnd);
    d.on('close', onEnd);
  });
}

/** A fresh stream over one that `firstLine` left paused: it flows again when its new reader reads (nothing is lost). */
export function adopt(src: Duplex): Duplex {
  const d = new Duplex({
    read() {
      src.resume();
    },
    write(c, enc, cb) {
      src.write(c, enc, cb);
    },
    final(cb) {
      src.end();
      cb();
    },
    destroy(err, cb) {
      src.destroy();
      cb(err);
    },
  });
  src.on('data', (c: Buffer) => {
    if (!d.push(c)) src.pause();
  });
  src.on('end', () => d.push(null));
  src.on('error', (e: Error) => d.destroy(e));
  return d;
}
