// The kernel's egress proxy: one unix socket per sandbox (so every connection is known to come from that sandbox),
// CONNECT tunnels and plain http:// requests to what the policy allows, each decision recorded before it acts.
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import { type AuditSource, recordThenAct } from '../audit/record';
import { type EgressClient, type EgressPolicy, judge, type Resolver, systemResolver, type Verdict } from './decide';
import { HEAD_TIMEOUT_MS, parseHead, type ProxyRequest, readHead, upstreamHead } from './head';
import { chooseRelay, nativeTunnel, type RelayChoice } from './native-relay';
import { type Read, UpstreamReads } from './read-buffers';
import { closeInFolder, listenInFolder } from './socket-folder';
import { resource } from './target';

export const SOCKET_NAME = 'proxy.sock';
const TUNNEL_OK = 'HTTP/1.1 200 Connection established\r\n\r\n';
const CONNECT_TIMEOUT_MS = 10_000;
/** Open connections one sandbox may hold; more wait for none, they are refused. */
const MAX_CONNECTIONS = 128;
export interface EgressProxyOptions {
  policy: EgressPolicy;
  /** The audit log; absent or failing, every connection is refused (nothing connects unrecorded). */
  audit: AuditSource;
  /** Folder for the per-sandbox socket folders, as the kernel sees it. */
  dir: string;
  /** The same folder as the container engine's host sees it (the bind-mount source); defaults to `dir`. */
  hostDir?: string;
  resolve?: Resolver;
  headTimeoutMs?: number;
  connectTimeoutMs?: number;
  log?: (line: string) => void;
}

/** Where one sandbox reaches its proxy: the socket folder (kernel and host views). */
export interface EgressEndpoint {
  sandbox: string;
  socketPath: string;
  hostFolder: string;
}

interface Open {
  client: EgressClient;
  server: net.Server;
  folder: string;
  sockets: Set<net.Socket>;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  408: 'Request Timeout',
  411: 'Length Required',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export class EgressProxy {
  private readonly open = new Map<string, Open>();
  private readonly resolve: Resolver;

  constructor(private readonly o: EgressProxyOptions) {
    this.resolve = o.resolve ?? systemResolver;
  }

  /** Starts the sandbox's socket (folder 0755, socket 0666: the sandbox may run as another uid than the kernel). */
  async listen(client: EgressClient): Promise<EgressEndpoint> {
    if (this.open.has(client.sandbox)) throw new AirlockError('EGRESS_EXISTS', `sandbox ${client.sandbox} already has a proxy socket`);
    const entry: Open = {
      client,
      folder: '',
      sockets: new Set(),
      server: net.createServer({ allowHalfOpen: true }, (s) => this.accept(entry, s)),
    };
    const { folder, socketPath } = await listenInFolder(this.o.dir, client.sandbox, SOCKET_NAME, entry.server);
    entry.folder = folder;
    this.open.set(client.sandbox, entry);
    return { sandbox: client.sandbox, socketPath, hostFolder: path.join(this.o.hostDir ?? this.o.dir, client.sandbox) };
  }

  /** Stops the sandbox's socket and cuts its open connections. */
  async close(sandbox: string): Promise<void> {
    const e = this.open.get(sandbox);
    if (!e) return;
    this.open.delete(sandbox);
    for (const s of e.sockets) s.destroy();
    await closeInFolder(e.server, e.folder);
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.open.keys()].map((id) => this.close(id)));
  }

  private accept(e: Open, s: net.Socket): void {
    e.sockets.add(s);
    s.on('close', () => e.sockets.delete(s));
    s.on('error', () => s.destroy());
    if (e.sockets.size > MAX_CONNECTIONS)
      return reply(s, 503, `sandbox ${e.client.sandbox} has ${MAX_CONNECTIONS} connections open already`);
    void this.serve(e, s).catch((err) => {
      this.o.log?.(`egress: ${(err as Error).message}`);
      s.destroy();
    });
  }

  private async serve(e: Open, s: net.Socket): Promise<void> {
    const id = `net_${randomBytes(6).toString('hex')}`;
    const got = await readHead(s, this.o.headTimeoutMs ?? HEAD_TIMEOUT_MS);
    const parsed = 'error' in got ? { ok: false as const, status: got.status, reason: got.error } : parseHead(got.head, got.rest);
    if (!parsed.ok) {
      await this.record(e, id, '', { decision: 'deny', policy: null, matched: [], reason: parsed.reason }, 'refused').catch(() => {});
      return reply(s, parsed.status, parsed.reason);
    }
    const req = parsed.request;
    const v = await judge(e.client, req.target, { policy: this.o.policy, resolve: this.resolve });
    try {
      await this.record(e, id, resource(req.target), v, req.kind);
    } catch (err) {
      return reply(s, 503, `the connection was not recorded, so it is refused: ${(err as Error).message}`);
    }
    if (v.decision !== 'allow' || !v.address) return reply(s, 403, `airlock: ${resource(req.target)} refused: ${v.reason}`);
    await this.relay(e, id, s, req, v, parsed.rest);
  }

  /** The decision, durable in the log before anything connects (or is refused). */
  private record(e: Open, id: string, res: string, v: Verdict, via: ProxyRequest['kind'] | 'refused'): Promise<void> {
    const c = e.client;
    return recordThenAct(
      this.o.audit,
      {
        session: c.session ?? null,
        subject: `${c.subject.kind}:${c.subject.id}`,
        action: 'net.connect',
        resource: res,
        decision: v.decision,
        ruleIds: v.matched.slice(0, 64),
        payload: {
          connection: id,
          sandbox: c.sandbox,
          task: c.task ?? null,
          via,
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

  /** Connects to exactly the judged address, then relays; the byte counts are recorded when both sides are done. */
  private async relay(e: Open, id: string, s: net.Socket, req: ProxyRequest, v: Verdict, rest: Buffer): Promise<void> {
    const started = Date.now();
    let up = 0,
      down = 0;
    const reads = new UpstreamReads();
    let toSandbox: ((r: Read) => boolean) | undefined;
    const early: Read[] = []; // bytes read before the relay is wired (none expected: nothing is sent upstream before)
    const upstream = net.connect({
      host: v.address!.text,
      port: req.target.port,
      family: v.address!.family,
      allowHalfOpen: true,
      onread: {
        buffer: reads.next,
        callback: (n, buf) => {
          const r = reads.take(n, buf);
          // Returning false pauses the upstream until the sandbox side drains (the same back-pressure as pipe()).
          if (toSandbox) return toSandbox(r);
          early.push(r);
          return false;
        },
      },
    });
    e.sockets.add(upstream);
    upstream.on('close', () => {
      e.sockets.delete(upstream);
      reads.dispose();
    });
    const connected = await new Promise<Error | undefined>((resolve) => {
      const timer = setTimeout(
        () => resolve(new Error(`no answer within ${this.o.connectTimeoutMs ?? CONNECT_TIMEOUT_MS} ms`)),
        this.o.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      );
      upstream.once('connect', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
      upstream.once('error', (err) => {
        clearTimeout(timer);
        resolve(err);
      });
    });
    // Which relay carried the bytes (none when the connect failed): the record says, for troubleshooting a tunnel.
    let via: RelayChoice['kind'] | null = null;
    const done = (error?: string) => this.closed(e, id, resource(req.target), { up, down, ms: Date.now() - started, error, relay: via });
    if (connected) {
      upstream.destroy();
      done(connected.message);
      return reply(s, 502, `airlock: ${resource(req.target)} (${v.address!.text}) could not be reached: ${connected.message}`);
    }
    // Small writes (a TLS handshake through a tunnel) go out at once: Nagle with delayed ACKs could stall them.
    upstream.setNoDelay(true);
    const engine = chooseRelay(req.kind);
    via = engine.kind;
    if (engine.kind === 'native')
      return nativeTunnel(engine.relay, s, upstream, early, TUNNEL_OK, (x) => {
        [up, down] = [x.up, x.down];
        done(x.error);
      });
    let finished = false;
    const finish = (err?: Error) => {
      if (finished) return;
      finished = true;
      s.destroy();
      upstream.destroy();
      done(err?.message);
    };
    s.on('close', () => finish());
    upstream.on('close', () => finish());
    s.on('error', finish);
    upstream.on('error', finish);
    // The tunnel's 200 goes first; then upstream bytes (a server that speaks first, e.g. an SSH banner, waits for it).
    if (req.kind === 'connect') s.write(TUNNEL_OK);
    // A buffer goes back to the free list only once written (or dropped by a socket that died: the callback still runs).
    toSandbox = (r) => {
      down += r.data.length;
      return s.write(r.data, r.release && (() => r.release!()));
    };
    const held = early.splice(0);
    for (const d of held) toSandbox(d);
    if (held.length) upstream.resume();
    s.on('drain', () => upstream.resume());
    // Half-closes pass through: a client that finishes sending still gets the whole answer.
    upstream.on('end', () => s.end());
    s.on('end', () => upstream.end());
    if (req.kind === 'connect') {
      s.on('data', (d: Buffer) => {
        up += d.length;
        if (!upstream.write(d)) s.pause();
      });
      upstream.on('drain', () => s.resume());
      s.resume();
      return;
    }
    // Plain HTTP: the head in origin form, then exactly Content-Length body bytes; nothing after (one request only).
    let body = req.bodyBytes;
    const send = (d: Buffer) => {
      const part = d.subarray(0, body);
      body -= part.length;
      up += part.length;
      if (part.length && !upstream.write(part)) s.pause();
      if (body === 0) s.off('data', send);
    };
    const head = upstreamHead(req);
    up += head.length;
    upstream.write(head);
    if (rest.length && body) send(rest);
    if (body) {
      s.on('data', send);
      upstream.on('drain', () => s.resume());
    }
    s.resume();
  }

  /** After the fact (buffered): the bytes each way and how it ended. */
  private closed(
    e: Open,
    id: string,
    res: string,
    x: { up: number; down: number; ms: number; error?: string; relay: RelayChoice['kind'] | null },
  ): void {
    try {
      const log = this.o.audit?.();
      log?.append({
        session: e.client.session ?? null,
        subject: `${e.client.subject.kind}:${e.client.subject.id}`,
        action: 'net.close',
        resource: res,
        payload: {
          connection: id,
          sandbox: e.client.sandbox,
          bytesUp: x.up,
          bytesDown: x.down,
          durationMs: x.ms,
          error: x.error ?? null,
          relay: x.relay,
        },
      });
    } catch (err) {
      this.o.log?.(`egress: the close of ${id} was not recorded: ${(err as Error).message}`);
    }
  }
}

function reply(s: net.Socket, status: number, reason: string): void {
  const body = `${reason.replace(/[\r\n]/g, ' ')}\n`;
  s.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
}
