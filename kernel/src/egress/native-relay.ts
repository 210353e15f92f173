// A CONNECT tunnel's bytes relayed off the event loop: the addon's splice(2) relay on a thread of its own takes both
// sockets over once the tunnel is up (Linux, the addon built with `relay`); otherwise the JS relay in proxy.ts runs.
import { constants } from 'node:os';
import type * as net from 'node:net';
import type { Read } from './read-buffers';

/** What the addon's relay reports once, on the JS thread: bytes delivered each way, and why it ended. */
export interface RelayResult {
  aToB: number;
  bToA: number;
  /** errno of the failure that ended it (0: both ways reached EOF, or it was cancelled). */
  errno: number;
  /** The call that failed: read, write, shutdown or poll ('' if none). */
  op: string;
  cancelled: boolean;
}
export interface RelayHandle {
  /** Ends the relay (both sockets are closed by their owners afterwards); `done` still runs, with the counts so far. */
  cancel(): void;
}
/** relay(fdA, fdB, pipeBytes, done): the fds are dup()ed; the caller must not read or write them until `done`. */
export type RelayFn = (fdA: number, fdB: number, pipeBytes: number, done: (r: RelayResult) => void) => RelayHandle;

/** Troubleshooting switch (docs/network.md): `js` forces the JS relay, `native` asks for the native one. */
export const RELAY_ENV = 'AIRLOCK_EGRESS_RELAY';
/** Used when RELAY_ENV is unset (see docs/network.md, "Performance", for the measurements behind it). */
export const DEFAULT_RELAY: 'native' | 'js' = 'native';
/**
 * How far each way's pipe may grow: it starts at the kernel's default (64 KiB) and grows while a bulk transfer fills
 * it (a 10 MB download measured ~15% less CPU with 1 MiB pipes than with 64 KiB ones). Pipes count against the user's
 * pipe quota (64 MiB by default for a user without CAP_SYS_RESOURCE, as the kernel runs), so only busy tunnels grow, and
 * past the quota a pipe keeps its size.
 */
export const PIPE_BYTES = 1 << 20;

export interface LoadedRelay {
  relay?: RelayFn;
  /** 'native', or why there is no native relay. */
  why: string;
}

/** What `addon` (the airlock-peercred module, or the error loading it) offers on `platform`: the relay, or why not. */
export function relayFrom(addon: unknown, platform: NodeJS.Platform = process.platform): LoadedRelay {
  if (platform !== 'linux') return { why: `splice(2) is Linux only (this is ${platform})` };
  if (addon instanceof Error) return { why: `the airlock-peercred addon is missing (${addon.message.split('\n')[0]})` };
  const a = addon as { relay?: unknown; relayProbe?: unknown };
  if (typeof a.relay !== 'function' || typeof a.relayProbe !== 'function')
    return { why: 'the airlock-peercred addon has no relay (an older build)' };
  // The probe splices a byte through a unix socket pair once: a kernel that cannot would fail every tunnel's first byte.
  const probed = (a.relayProbe as () => number)();
  if (probed !== 0) return { why: `splice(2) does not work on unix sockets here (${ERRNO_NAMES.get(probed) ?? probed})` };
  return { relay: a.relay as RelayFn, why: 'native' };
}

let loaded: LoadedRelay | undefined;

/** This process's relay (loaded and probed once). */
export function loadRelay(): LoadedRelay {
  if (loaded) return loaded;
  let a: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    a = process.platform === 'linux' ? require('airlock-peercred') : undefined;
  } catch (err) {
    a = err instanceof Error ? err : new Error(String(err));
  }
  return (loaded = relayFrom(a));
}

export type RelayChoice = { kind: 'native'; relay: RelayFn } | { kind: 'js'; why: string };

/**
 * The one place that decides which relay a connection gets: plain HTTP always the JS one (it frames the body), a
 * CONNECT tunnel the native one unless RELAY_ENV (or the default) says `js` or the addon cannot.
 */
export function chooseRelay(kind: 'connect' | 'http', env: NodeJS.ProcessEnv = process.env): RelayChoice {
  if (kind === 'http') return { kind: 'js', why: 'plain HTTP frames its body in JS' };
  const want = env[RELAY_ENV] === 'js' || env[RELAY_ENV] === 'native' ? env[RELAY_ENV] : DEFAULT_RELAY;
  if (want === 'js') return { kind: 'js', why: `${RELAY_ENV}=js or the default` };
  const r = loadRelay();
  return r.relay ? { kind: 'native', relay: r.relay } : { kind: 'js', why: r.why };
}

interface Handle {
  fd?: number;
  reading?: boolean;
  readStop?: () => number;
}
const handleOf = (s: net.Socket) => (s as unknown as { _handle?: Handle | null })._handle ?? undefined;

/** Node reads no more from `s` (its 'data' path and libuv's watcher both stop), so the relay's reads are the only ones. */
function stopReading(s: net.Socket): void {
  s.pause();
  const h = handleOf(s);
  if (h?.readStop) {
    h.reading = false;
    h.readStop();
  }
}

/** What Node read already and holds in the socket's readable buffer (a socket without `onread`). */
function drain(s: net.Socket): Buffer[] {
  const out: Buffer[] = [];
  for (let d: Buffer | null; (d = s.read() as Buffer | null) !== null;) out.push(d);
  return out;
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

function written(s: net.Socket, data: Buffer | string, release?: () => void): Promise<void> {
  return new Promise((resolve, reject) =>
    s.write(data, (err) => {
      release?.();
      if (err) reject(err);
      else resolve();
    }),
  );
}

export interface TunnelCounts {
  up: number;
  down: number;
  error?: string;
}

/**
 * Hands a tunnel's two connected sockets (`s` the sandbox's, `upstream` the server's) to the native relay: Node stops
 * reading both, writes `head` (the 200), then what it read already (`early` from upstream, `s`'s buffer), and once
 * that is flushed the relay owns the bytes. It works on dup()s of the fds and closes them itself; Node's sockets stay
 * open (so the connection cap still counts them) and are destroyed once the relay is done, so each fd is closed exactly
 * once, by its owner, and a number Node frees early cannot be reused under the relay. Destroying either socket (the
 * sandbox or the proxy closing, the kernel shutting down) cancels the relay; `done` runs once, with every byte counted.
 */
export function nativeTunnel(
  relay: RelayFn,
  s: net.Socket,
  upstream: net.Socket,
  early: Read[],
  head: string | undefined,
  done: (x: TunnelCounts) => void,
): void {
  let up = 0,
    down = 0,
    ended = false,
    failure: string | undefined,
    handle: RelayHandle | undefined;
  const end = (error?: string) => {
    if (ended) return;
    ended = true;
    s.destroy();
    upstream.destroy();
    done({ up, down, error });
  };
  const closed = () => (handle ? handle.cancel() : end(failure));
  const failed = (err: Error) => {
    failure ??= err.message;
    closed();
  };
  s.on('close', closed);
  upstream.on('close', closed);
  s.on('error', failed);
  upstream.on('error', failed);
  // Reading a buffer can restart Node's reads; stopping after it, in the same tick, leaves nothing in between.
  const fromSandbox = drain(s);
  const fromUpstream: Read[] = [...early.splice(0), ...drain(upstream).map((data) => ({ data }))];
  stopReading(s);
  stopReading(upstream);
  const writes: Array<Promise<void>> = [];
  if (head !== undefined) writes.push(written(s, head));
  for (const r of fromUpstream) {
    down += r.data.length;
    writes.push(written(s, r.data, r.release));
  }
  for (const d of fromSandbox) {
    up += d.length;
    writes.push(written(upstream, d));
  }
  Promise.all(writes).then(
    () => {
      if (ended) return;
      const a = handleOf(s)?.fd,
        b = handleOf(upstream)?.fd;
      if (s.destroyed || upstream.destroyed) return end(failure);
      if (a === undefined || b === undefined || a < 0 || b < 0) return end('the tunnel has no file descriptor to relay');
      try {
        handle = relay(a, b, PIPE_BYTES, (r) => {
          up += r.aToB;
          down += r.bToA;
          end(r.errno ? `${r.op} ${ERRNO_NAMES.get(r.errno) ?? `errno ${r.errno}`}` : failure);
        });
      } catch (err) {
        end((err as Error).message);
      }
    },
    (err: Error) => end(failure ?? err.message),
  );
}
