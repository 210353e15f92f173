// The provider worker's fetch: requests to the provider endpoint's URL go straight down its unix socket (mounted in the
// ai-provider sandbox) with node:http, not through the sandbox's loopback forwarder; anything else is Node's fetch.
import * as http from 'node:http';
import { Readable } from 'node:stream';

/**
 * A fetch for the vendor SDKs in the worker. The loopback forwarder (egress/sandbox.ts) is one more process each way
 * on every model request, and Node's fetch compiles its HTTP parser (WebAssembly) on a worker's first request; the
 * endpoint judges, records and forwards exactly the same request either way, so nothing about the guarantee changes.
 * Requests to any other origin (the warm-up's data: URL) go to `fallback`.
 */
export function socketFetch(socketPath: string, origin: string, fallback: typeof fetch = fetch): typeof fetch {
  const base = new URL(origin).origin;
  return async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (url.origin !== base) return fallback(input, init);
    const body = req.body ? Buffer.from(await req.arrayBuffer()) : undefined;
    const headers: Record<string, string> = Object.fromEntries(req.headers);
    headers.host = url.host;
    if (body) headers['content-length'] = String(body.length);
    req.signal.throwIfAborted();
    return new Promise<Response>((resolve, reject) => {
      const r = http.request(
        { socketPath, method: req.method, path: `${url.pathname}${url.search}`, headers, signal: req.signal },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 599) {
            res.destroy();
            reject(new TypeError(`fetch failed: the provider endpoint answered with status ${status}`));
            return;
          }
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (Array.isArray(v)) for (const x of v) h.append(k, x);
            else if (v !== undefined) h.set(k, v);
          }
          // A body-less answer must be given as null (the Response constructor refuses a body with 204/304).
          const empty = req.method === 'HEAD' || status === 204 || status === 304;
          if (empty) res.resume();
          resolve(
            new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
              status,
              statusText: res.statusMessage ?? '',
              headers: h,
            }),
          );
        },
      );
      // Before the answer this rejects the fetch (an abort as Node's fetch does: with the signal's reason, so the SDK
      // does not retry it); after the answer, the body's stream errors instead.
      r.on('error', (e) => reject(req.signal.aborted ? (req.signal.reason ?? e) : new TypeError('fetch failed', { cause: e })));
      r.end(body);
    });
  };
}
