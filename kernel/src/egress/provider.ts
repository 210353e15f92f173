// The provider endpoint: one unix socket per ai-provider sandbox, a reverse proxy to its task's configured provider.
// The sandbox speaks plain HTTP to it with a dummy key; the kernel drops any key it sent, adds the real one and makes
// the TLS connection upstream itself, so the key never enters a sandbox and no TLS is intercepted (docs/network.md).
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import { type AuditSource, recordThenAct } from '../audit/record';
import { type Address, classify } from './address';
import { type EgressClient, type EgressPolicy, judge, type Resolver, resolveOnce, systemResolver, type Verdict } from './decide';
import type { EgressEndpoint } from './proxy';
import {
  downstreamHeaders,
  EGRESS_REFUSED_HEADER,
  type ProviderUpstream,
  resolveUpstream,
  type ResolvedUpstream,
  upstreamHeaders,
  upstreamPath,
} from './provider-upstream';
import { closeInFolder, listenInFolder } from './socket-folder';
import { resource } from './target';

export const PROVIDER_SOCKET_NAME = 'provider.sock';
/** A model request carries the whole context: generous, but bounded. */
export const MAX_PROVIDER_BODY = 32 * 1024 * 1024;
const MAX_IN_FLIGHT = 16;
const UPSTREAM_TIMEOUT_MS = 600_000;

export interface ProviderEndpointOptions {
  policy: EgressPolicy;
  /** The audit log; absent or failing, every request is refused (nothing goes upstream unrecorded). */
  audit: AuditSource;
  dir: string;
  hostDir?: string;
  /** The provider of a sandbox's task, read at each request (a warm sandbox gets its task later). */
  upstreamFor: (task: string | undefined) => ProviderUpstream | undefined;
  resolve?: Resolver;
  log?: (line: string) => void;
}

interface Open {
  server: http.Server;
  folder: string;
  inFlight: number;
}

export class ProviderEndpoints {
  private readonly open = new Map<string, Open>();

  constructor(private readonly o: ProviderEndpointOptions) {}

  /** Starts the sandbox's endpoint socket (folder 0755, socket 0666: the sandbox may run as another uid). */
  async listen(client: EgressClient): Promise<EgressEndpoint> {
    if (this.open.has(client.sandbox)) throw new AirlockError('EGRESS_EXISTS', `sandbox ${client.sandbox} already has a provider endpoint`);
    const entry: Open = {
      folder: '',
      inFlight: 0,
      server: http.createServer({ requestTimeout: 120_000 }, (q, r) => this.serve(entry, client, q, r)),
    };
    entry.server.maxHeadersCount = 100;
    const { folder, socketPath } = await listenInFolder(this.o.dir, client.sandbox, PROVIDER_SOCKET_NAME, entry.server);
    entry.folder = folder;
    this.open.set(client.sandbox, entry);
    return { sandbox: client.sandbox, socketPath, hostFolder: path.join(this.o.hostDir ?? this.o.dir, client.sandbox) };
  }

  async close(sandbox: string): Promise<void> {
    const e = this.open.get(sandbox);
    if (!e) return;
    this.open.delete(sandbox);
    e.server.closeAllConnections();
    await closeInFolder(e.server, e.folder);
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.open.keys()].map((id) => this.close(id)));
  }

  private serve(e: Open, c: EgressClient, q: http.IncomingMessage, r: http.ServerResponse): void {
    if (e.inFlight >= MAX_IN_FLIGHT) return fail(r, 503, `sandbox ${c.sandbox} has ${MAX_IN_FLIGHT} provider requests open already`);
    e.inFlight++;
    r.on('close', () => {
      e.inFlight--;
    });
    void this.forward(c, q, r).catch((err) => {
      this.o.log?.(`egress: provider request of ${c.sandbox}: ${(err as Error).message}`);
      if (!r.headersSent) fail(r, 502, `airlock: the provider request failed: ${(err as Error).message}`);
      else r.destroy();
    });
  }

  private async forward(live: EgressClient, q: http.IncomingMessage, r: http.ServerResponse): Promise<void> {
    const id = `net_${randomBytes(6).toString('hex')}`;
    // The sandbox's task as the request arrives, for the whole request: a conversation's kept worker passes from one
    // turn to the next (agent/provider-worker/kept.ts), and a request of the last turn must never go out as the next's.
    const c = pinned(live);
    const configured = this.o.upstreamFor(c.task);
    if (!configured) return fail(r, 503, `airlock: no model provider is configured for ${c.task ? `task ${c.task}` : 'this sandbox'}`);
    let up: ResolvedUpstream;
    try {
      up = resolveUpstream(configured);
    } catch (err) {
      return fail(r, 502, `airlock: ${(err as Error).message}`);
    }
    const method = q.method ?? '';
    const p = upstreamPath(up.url, q.url ?? '');
    if (method !== 'GET' && method !== 'POST')
      return fail(r, 405, `airlock: the provider endpoint forwards GET and POST only, not ${method}`);
    if (!p) return fail(r, 400, 'airlock: the request path is refused (dot segments, encoded separators or control characters)');
    const body = await readBody(q);
    if (!body) return fail(r, 413, `airlock: provider requests are capped at ${MAX_PROVIDER_BODY} bytes`);
    let v = await this.judge(c, up);
    if (v.decision === 'allow' && !up.tls && up.header && v.addresses?.every((a) => a.class === 'public')) {
      v = { ...v, decision: 'deny', reason: 'the key is never sent unencrypted to a public address; use https' };
    }
    const entry = { vendor: configured.vendor, method, path: p.split('?')[0] };
    try {
      await this.record(c, id, up, v, entry);
    } catch (err) {
      return fail(r, 503, `airlock: the provider request was not recorded, so it is refused: ${(err as Error).message}`);
    }
    if (v.decision !== 'allow' || !v.address) return fail(r, 403, `airlock: ${resource(up.target)} refused: ${v.reason}`);
    if (live.task !== c.task)
      return fail(r, 503, `airlock: sandbox ${c.sandbox} stopped working for task ${c.task ?? '(none)'} during this request`);
    await this.relay(c, id, up, v, { method, path: p, headers: upstreamHeaders(q.headers, up, body.length), body }, r);
  }

  /**
   * The configured provider is what the person chose (agent.baseUrl is read only from host settings, never from a
   * workspace): at public addresses it is allowed. A local server (Ollama on the loopback, llama.cpp on the LAN) is
   * allowed too unless a rule of the task's policy for `kernel:provider` refuses it or a person declines; link-local, metadata and other
   * special addresses, and names resolving to a mix, go through the policy (net.connect + net.private) like any host.
   */
  private async judge(c: EgressClient, up: ResolvedUpstream): Promise<Verdict> {
    const resolve = this.o.resolve ?? systemResolver;
    let all: Address[];
    try {
      all = up.target.literal ? [up.target.literal] : await resolveOnce(up.target.host, resolve);
    } catch (err) {
      return { decision: 'deny', policy: null, matched: [], reason: `${up.target.host} did not resolve: ${(err as Error).message}` };
    }
    const classes = all.map((a) => ({ address: a.text, class: classify(a) }));
    if (!up.target.literal && all.length && classes.every((x) => x.class === 'public')) {
      return {
        decision: 'allow',
        policy: null,
        matched: [],
        reason: "the task's configured model provider",
        address: all[0],
        addresses: classes,
      };
    }
    const local = all.length > 0 && classes.every((x) => x.class === 'loopback' || x.class === 'private');
    // The person's own server is reached by the kernel's provider channel, not by the agent: judged as kernel:provider,
    // so the modes' rules about the agent's network (strict: none) do not cut the model off; a rule can still name it.
    const v = await judge(local ? { ...c, subject: { kind: 'kernel', id: 'provider', tags: [] } } : c, up.target, {
      policy: this.o.policy,
      resolve,
    });
    // Refused on purpose: a rule denies net.connect to it, or a person was asked and said no.
    const refused = v.answer === 'deny' || (v.policy === 'deny' && v.matched.length > 0);
    if (v.decision === 'allow' || !local || refused) return v;
    return {
      decision: 'allow',
      policy: v.policy,
      matched: v.matched,
      address: all[0],
      addresses: classes,
      reason: "the person's configured local model server (agent.baseUrl, a host setting); no rule refuses it",
    };
  }

  private record(
    c: EgressClient,
    id: string,
    up: ResolvedUpstream,
    v: Verdict,
    x: { vendor: string; method: string; path: string },
  ): Promise<void> {
    return recordThenAct(
      this.o.audit,
      {
        session: c.session ?? null,
        subject: `${c.subject.kind}:${c.subject.id}`,
        action: 'net.connect',
        resource: resource(up.target),
        decision: v.decision,
        ruleIds: v.matched.slice(0, 64),
        payload: {
          connection: id,
          sandbox: c.sandbox,
          task: c.task ?? null,
          via: 'provider',
          ...x,
          policy: v.policy,
          answer: v.answer ?? null,
          reason: v.reason,
          address: v.address?.text ?? null,
          addresses: v.addresses ?? [],
        },
      },
      () => undefined,
    );
  }

  /** One request to exactly the judged address (TLS checked against the configured name), its answer streamed back. */
  private relay(
    c: EgressClient,
    id: string,
    up: ResolvedUpstream,
    v: Verdict,
    out: { method: string; path: string; headers: http.OutgoingHttpHeaders; body: Buffer },
    r: http.ServerResponse,
  ): Promise<void> {
    const started = Date.now();
    const address = v.address!;
    const lookup: LookupFunction = (_h, opts, cb) => {
      if ((opts as { all?: boolean }).all)
        (cb as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: address.text, family: address.family }]);
      else cb(null, address.text, address.family);
    };
    const options: https.RequestOptions = {
      host: up.target.host,
      port: up.target.port,
      method: out.method,
      path: out.path,
      headers: out.headers,
      lookup,
      timeout: UPSTREAM_TIMEOUT_MS,
      agent: false,
      ...(up.tls && !up.target.literal ? { servername: up.target.host } : {}),
    };
    return new Promise<void>((resolve) => {
      let down = 0;
      let status = 0;
      const done = (error?: string) => {
        this.closed(c, id, up, { up: out.body.length, down, ms: Date.now() - started, status, error });
        resolve();
      };
      const req = (up.tls ? https : http).request(options, (res) => {
        status = res.statusCode ?? 502;
        r.writeHead(status, downstreamHeaders(res.headers));
        res.on('data', (d: Buffer) => {
          down += d.length;
          if (!r.write(d)) res.pause();
        });
        r.on('drain', () => res.resume());
        res.on('end', () => {
          r.end();
          done();
        });
        res.on('error', (err) => {
          r.destroy();
          done(err.message);
        });
      });
      // The sandbox went away (its SDK aborted): the upstream request goes too.
      r.on('close', () => {
        if (!r.writableFinished) req.destroy(new Error('the sandbox closed the request'));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${UPSTREAM_TIMEOUT_MS} ms`)));
      req.on('error', (err) => {
        if (!r.headersSent) fail(r, 502, `airlock: ${resource(up.target)} (${address.text}) could not be reached: ${err.message}`);
        else r.destroy();
        done(err.message);
      });
      req.end(out.body);
    });
  }

  private closed(
    c: EgressClient,
    id: string,
    up: ResolvedUpstream,
    x: { up: number; down: number; ms: number; status: number; error?: string },
  ): void {
    try {
      this.o.audit?.().append({
        session: c.session ?? null,
        subject: `${c.subject.kind}:${c.subject.id}`,
        action: 'net.close',
        resource: resource(up.target),
        payload: {
          connection: id,
          sandbox: c.sandbox,
          status: x.status,
          bytesUp: x.up,
          bytesDown: x.down,
          durationMs: x.ms,
          error: x.error ?? null,
        },
      });
    } catch (err) {
      this.o.log?.(`egress: the close of ${id} was not recorded: ${(err as Error).message}`);
    }
  }
}

/** The whole body, or undefined when it is over the cap (the rest is not read). */
function readBody(q: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    q.on('data', (d: Buffer) => {
      n += d.length;
      if (n > MAX_PROVIDER_BODY) {
        q.removeAllListeners('data');
        q.pause();
        resolve(undefined);
        return;
      }
      chunks.push(d);
    });
    q.on('end', () => resolve(Buffer.concat(chunks)));
    q.on('error', reject);
  });
}

function fail(r: http.ServerResponse, status: number, message: string): void {
  if (r.headersSent) {
    r.destroy();
    return;
  }
  const body = JSON.stringify({ error: { message, type: 'airlock_egress' } });
  // The header tells the worker's error mapping this answer is the kernel's, not the vendor's (upstream's is dropped).
  r.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
    [EGRESS_REFUSED_HEADER]: 'refused',
  }).end(body);
}

/** The client's values read once (its getters follow the sandbox's task as it changes). */
function pinned(c: EgressClient): EgressClient {
  const { sandbox, task, session, subject, mode, policy, approve } = c;
  return { sandbox, task, session, subject, mode, policy, approve };
}
