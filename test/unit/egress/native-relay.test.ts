// The native tunnel relay (addon splice relay + nativeTunnel's takeover) between a unix socket and a TCP socket, as the
// proxy uses it: bytes intact both ways, half-closes passed on, cancel and peer reset end it, no fd left behind.
import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  chooseRelay,
  loadRelay,
  nativeTunnel,
  RELAY_ENV,
  type RelayFn,
  relayFrom,
  type TunnelCounts,
} from '../../../kernel/src/egress/native-relay';

const MB10 = 10 * 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));

/** A connected pair: `inner` (accepted, handed to the relay) and `outer` (the test's end). */
interface Pair {
  inner: net.Socket;
  outer: net.Socket;
}

async function pair(listenOn: net.ListenOptions): Promise<Pair> {
  const server = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((r) => server.listen(listenOn, r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const addr = server.address();
  const outer = net.connect(
    typeof addr === 'string' ? { path: addr, allowHalfOpen: true } : { port: addr!.port, host: '127.0.0.1', allowHalfOpen: true },
  );
  const inner = await accepted;
  await new Promise((r) => (outer.connecting ? outer.once('connect', r) : r(undefined)));
  server.close();
  return { inner, outer };
}

/** Everything `s` receives, its end (the other side's FIN: a half-open socket stays open after it) and its close. */
function collect(s: net.Socket): { data: () => Buffer; ended: Promise<void>; closed: Promise<void> } {
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  s.on('error', () => undefined);
  return {
    data: () => Buffer.concat(chunks),
    ended: new Promise((r) => s.once('end', () => r())),
    closed: new Promise((r) => s.once('close', () => r())),
  };
}

/** This process's sockets, pipes and eventfds (what a relay opens), as `fd target` lines. */
function relayFds(): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const to = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (/^(socket|pipe):|eventfd/.test(to)) out.push(`${fd} ${to}`);
    } catch {
      // the fd readdir itself used, closed since
    }
  }
  return out;
}

describe('egress: the native tunnel relay', function () {
  this.timeout(30_000);
  let dir: string;
  let relay: RelayFn;
  let sandbox: Pair;
  let upstream: Pair;
  let fdsBefore: string[];

  before(function () {
    const r = loadRelay();
    // The kernel runs on Linux, where the addon is built by npm install: a missing relay is a failure, not a skip.
    assert.ok(r.relay, `the native relay is not available: ${r.why}`);
    relay = r.relay;
  });
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-nrelay-'));
    fdsBefore = relayFds();
    sandbox = await pair({ path: path.join(dir, 's.sock') });
    upstream = await pair({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    for (const p of [sandbox, upstream]) (p.inner.destroy(), p.outer.destroy());
    // Every fd is closed once: the relay's dups, pipes and eventfd, Node's sockets (nothing leaks, nothing is left open).
    const same = () => relayFds().join() === fdsBefore.join();
    for (let i = 0; i < 100 && !same(); i++) await tick();
    assert.deepEqual(relayFds(), fdsBefore, 'the sockets, pipes and eventfds open before the test are those open after it');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the relay between the inner ends, as the proxy does (`head` first to the sandbox). */
  function start(head?: string): Promise<TunnelCounts> {
    return new Promise((resolve) => {
      let calls = 0;
      nativeTunnel(relay, sandbox.inner, upstream.inner, [], head, (x) => {
        assert.equal(++calls, 1, 'done runs once');
        resolve(x);
      });
    });
  }

  it('falls back to the JS relay off Linux, without the addon, with an older build, or where splice fails', () => {
    const fake = (probe: number) => ({ relay: () => ({ cancel() {} }), relayProbe: () => probe });
    assert.equal(relayFrom(fake(0), 'linux').why, 'native');
    assert.match(relayFrom(fake(0), 'darwin').why, /Linux only/);
    assert.match(relayFrom(new Error('Cannot find module'), 'linux').why, /addon is missing/);
    assert.match(relayFrom({ getPeerCred() {} }, 'linux').why, /older build/);
    assert.match(relayFrom(fake(22), 'linux').why, /EINVAL/);
    for (const r of [relayFrom(fake(0), 'darwin'), relayFrom({}, 'linux'), relayFrom(fake(22), 'linux')]) assert.equal(r.relay, undefined);
  });

  it('chooses the native relay for CONNECT on Linux, the JS one for plain HTTP or when the switch says js', () => {
    assert.equal(chooseRelay('connect', {}).kind, 'native');
    assert.equal(chooseRelay('connect', { [RELAY_ENV]: 'native' }).kind, 'native');
    assert.equal(chooseRelay('connect', { [RELAY_ENV]: 'js' }).kind, 'js');
    assert.equal(chooseRelay('http', {}).kind, 'js');
  });

  it('carries 10 MB of random bytes each way at once, byte-exact, after what Node had read already; counts both', async () => {
    const down = randomBytes(MB10),
      up = randomBytes(MB10);
    const atUpstream = collect(upstream.outer),
      atSandbox = collect(sandbox.outer);
    // Bytes the sandbox sent before the takeover sit in Node's buffer of the inner socket: they must go first.
    sandbox.outer.write('early:');
    for (let i = 0; i < 200 && sandbox.inner.readableLength === 0; i++) await tick(5);
    assert.ok(sandbox.inner.readableLength > 0);
    const done = start('HTTP/1.1 200 OK\r\n\r\n');
    sandbox.outer.end(up);
    upstream.outer.end(down);
    const [counts] = await Promise.all([done, atUpstream.ended, atSandbox.ended]);
    assert.equal(atSandbox.data().subarray(0, 19).toString(), 'HTTP/1.1 200 OK\r\n\r\n', 'the head goes first');
    assert.equal(sha(atSandbox.data().subarray(19)), sha(down));
    assert.equal(atUpstream.data().subarray(0, 6).toString(), 'early:');
    assert.equal(sha(atUpstream.data().subarray(6)), sha(up));
    assert.deepEqual(counts, { up: MB10 + 6, down: MB10, error: undefined });
  });

  for (const first of ['sandbox', 'upstream'] as const) {
    it(`passes a half-close from the ${first} on and keeps the other way going until it ends too`, async () => {
      const [closer, other] = first === 'sandbox' ? [sandbox, upstream] : [upstream, sandbox];
      const atOther = collect(other.outer),
        atCloser = collect(closer.outer);
      const done = start();
      closer.outer.end('last words');
      await atOther.ended;
      assert.equal(atOther.data().toString(), 'last words');
      // The half-closed side still receives: a megabyte and then the other end.
      const answer = randomBytes(1 << 20);
      other.outer.end(answer);
      await atCloser.ended;
      assert.ok(atCloser.data().equals(answer));
      const counts = await done;
      assert.equal(counts.error, undefined);
      assert.equal(first === 'sandbox' ? counts.up : counts.down, 10);
      assert.equal(first === 'sandbox' ? counts.down : counts.up, 1 << 20);
    });
  }

  it('ends mid-transfer when a socket is destroyed (the proxy closing): both ends are cut, the bytes so far counted', async () => {
    const atSandbox = collect(sandbox.outer);
    const upstreamClosed = collect(upstream.outer).closed;
    const done = start();
    // An endless download, paced by back-pressure.
    const chunk = Buffer.alloc(1 << 20, 7);
    const pump = () => {
      while (!upstream.outer.destroyed && upstream.outer.write(chunk));
    };
    upstream.outer.on('drain', pump);
    pump();
    while (atSandbox.data().length < 2 << 20) await tick(5);
    sandbox.inner.destroy();
    const counts = await done;
    // The sandbox's end: the whole FIN (it is half-open, as the forwarder's is); the server's: its close (reset or FIN).
    await Promise.all([atSandbox.ended, upstreamClosed]);
    assert.equal(counts.error, undefined);
    assert.ok(counts.down >= atSandbox.data().length && counts.down >= 2 << 20, `counted ${counts.down}`);
  });

  it('reports a peer reset with its errno, and closes the other side', async () => {
    const atSandbox = collect(sandbox.outer);
    const done = start();
    upstream.outer.write(Buffer.alloc(100_000, 1));
    while (atSandbox.data().length < 100_000) await tick(5);
    upstream.outer.resetAndDestroy();
    const counts = await done;
    await atSandbox.ended;
    assert.match(counts.error ?? '', /^(read|write) (ECONNRESET|EPIPE)$/);
    assert.equal(counts.down, 100_000);
  });

  it('relay(): ends when its environment goes (a worker terminated mid-tunnel), so the connections close', async () => {
    // The worker dials two unix servers of this thread and relays between its ends; then it is terminated.
    const got: net.Socket[] = [];
    const servers = [0, 1].map(() => net.createServer({ allowHalfOpen: true }, (c) => got.push(c)));
    const paths = servers.map((_, i) => path.join(dir, `w${i}.sock`));
    await Promise.all(servers.map((sv, i) => new Promise<void>((r) => sv.listen(paths[i], r))));
    const code = `const net = require('net'); const { workerData: w, parentPort } = require('worker_threads');
      const addon = require(w.addon); const [a, b] = w.paths.map((p) => net.connect(p));
      let n = 0; const go = () => { if (++n < 2) return;
        for (const s of [a, b]) { s.pause(); s._handle.readStop(); }
        globalThis.h = addon.relay(a._handle.fd, b._handle.fd, 0, () => {}); parentPort.postMessage('relaying'); };
      a.on('connect', go); b.on('connect', go);`;
    const worker = new Worker(code, { eval: true, workerData: { addon: require.resolve('airlock-peercred'), paths } });
    await new Promise((r) => worker.once('message', r));
    while (got.length < 2) await tick(5); // this thread may not have seen both accepts yet
    const [x, y] = got;
    const ended = [x, y].map((c) => new Promise<void>((r) => c.once('end', () => r())));
    x.write('through the worker');
    const heard = await new Promise<string>((r) => y.once('data', (d) => r(String(d))));
    assert.equal(heard, 'through the worker');
    await worker.terminate();
    await Promise.all(ended);
    for (const c of got) c.destroy();
    for (const sv of servers) sv.close();
  });

  it('relay(): cancel() ends it, the counts come once, and the caller keeps its own fds (only the dups are closed)', async () => {
    for (const s of [sandbox.inner, upstream.inner]) s.pause();
    const fdOf = (s: net.Socket) => (s as unknown as { _handle: { fd: number; readStop(): void } })._handle;
    fdOf(sandbox.inner).readStop();
    fdOf(upstream.inner).readStop();
    const [a, b] = [fdOf(sandbox.inner).fd, fdOf(upstream.inner).fd];
    const atUpstream = collect(upstream.outer);
    let calls = 0;
    const result = new Promise<Parameters<Parameters<RelayFn>[3]>[0]>((resolve) => {
      const h = relay(a, b, 65536, (r) => {
        calls++;
        resolve(r);
      });
      sandbox.outer.write('before cancel');
      const wait = setInterval(() => {
        if (atUpstream.data().length < 13) return;
        clearInterval(wait);
        h.cancel();
        h.cancel(); // twice is harmless
      }, 5);
    });
    const r = await result;
    await tick(20);
    assert.equal(calls, 1);
    assert.deepEqual(r, { aToB: 13, bToA: 0, errno: 0, op: '', cancelled: true });
    assert.ok(fs.fstatSync(a).isSocket() && fs.fstatSync(b).isSocket(), "the caller's fds are still open");
    assert.throws(() => relay(a, a, 0, () => undefined), /two different open sockets/);
    assert.throws(() => relay(a, 0x7ffffff, 0, () => undefined), /two different open sockets/);
  });
});
