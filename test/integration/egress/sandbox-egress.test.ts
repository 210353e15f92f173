// Real sandboxes behind the egress proxy: test servers on the host's loopback, reached only through the proxy (the
// sandbox has no network namespace route out); names resolved by a resolver the test injects (no DNS here).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRuntime } from '../../../kernel/src/runtime/detect';
import { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import { loadTemplates } from '../../../core/src/templates';
import { kernelEgress } from '../../../kernel/src/egress/attach';
import { engineAt } from '../../../kernel/src/mcp/exec-stream';
import { sandboxProcess } from '../../../kernel/src/mcp/socket-exec';
import { ensureSandboxImages } from '../../../templates/builder/sandbox-images';
import { helloServer, MemoryAudit, testPolicy, testResolver } from '../../unit/egress/fixture';

/** Runs in the sandbox: one request through $HTTP_PROXY (plain: absolute URI; tunnel: CONNECT, then a request inside). */
const CLIENT = String.raw`
const http = require('http'); const [mode, authority, extra] = process.argv.slice(1);
const proxy = new URL(process.env.HTTP_PROXY);
const out = (s) => { process.stdout.write(s); process.exit(0); };
if (mode === 'plain') {
  const q = http.request({ host: proxy.hostname, port: proxy.port, method: 'GET', path: 'http://' + authority + '/plain',
    headers: { host: extra || authority } }, (r) => { let b = ''; r.on('data', (d) => b += d); r.on('end', () => out(r.statusCode + ' ' + b)); });
  q.on('error', (e) => out('error ' + e.code)); q.end();
} else {
  const q = http.request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: authority });
  q.on('connect', (r, sock) => {
    if (r.statusCode !== 200) return out(r.statusCode + '');
    sock.write('GET /tunnel HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'); let b = '';
    sock.on('data', (d) => b += d); sock.on('end', () => out('200 ' + b.split('\r\n\r\n')[1])); });
  q.on('response', (r) => { let b = ''; r.on('data', (d) => b += d); r.on('end', () => out(r.statusCode + ' ' + b)); });
  q.on('error', (e) => out('error ' + e.code)); q.end();
}`;

/** Runs in the sandbox: tries the network without the proxy (raw TCP, DNS) and prints what each attempt met. */
const DIRECT = String.raw`
const net = require('net'); const dns = require('dns'); const res = {}; let left = 4;
const done = (k, v) => { res[k] = v; if (--left === 0) { process.stdout.write(JSON.stringify(res)); process.exit(0); } };
const tcp = (k, host, port) => { const s = net.connect({ host, port }); s.setTimeout(3000, () => { s.destroy(); done(k, 'timeout'); });
  s.on('connect', () => { s.destroy(); done(k, 'connected'); }); s.on('error', (e) => done(k, e.code)); };
tcp('hostLoopback', '127.0.0.1', Number(process.argv[1])); tcp('outside', '1.1.1.1', 80); tcp('proxyPort', '127.0.0.1', 3128);
dns.lookup('allowed.test', (e) => done('dns', e ? e.code : 'resolved'));`;

/** Echoes stdin to stdout; on stderr, what kind its fds 0 and 1 are (socket or pipe). */
const ECHO = String.raw`
const fs = require('fs'); const kind = (fd) => fs.readlinkSync('/proc/self/fd/' + fd).split(':')[0];
process.stderr.write(kind(0) + ' ' + kind(1) + '\n'); process.stdin.pipe(process.stdout);`;

describe('sandboxes behind the egress proxy (docker)', function () {
  this.timeout(180_000);
  let m: SandboxManager;
  let ws: string;
  let state: string;
  let audit: MemoryAudit;
  let hello: Awaited<ReturnType<typeof helloServer>>;
  let online: string;

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-ws-'));
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-state-'));
    fs.chmodSync(ws, 0o755);
    hello = await helloServer();
    audit = new MemoryAudit();
    await ensureSandboxImages({ engine: 'docker', socketPath: '/var/run/docker.sock' });
    const egress = kernelEgress({ policy: testPolicy(), audit: audit.source, stateDir: state, resolve: testResolver });
    m = new SandboxManager({
      runtime: createRuntime('docker'),
      templates: loadTemplates(undefined, '1000:1000'),
      workspaceHost: ws,
      egress,
    });
    await m.start();
    online = (await m.create({ template: 'integration-test', task: 'task-e' })).id;
  });
  after(async () => {
    await m?.shutdown();
    hello?.server.close();
    fs.rmSync(ws, { recursive: true, force: true });
    fs.rmSync(state, { recursive: true, force: true });
  });

  const node = async (id: string, script: string, ...args: string[]) => {
    const r = await m.exec(id, { argv: ['node', '-e', script, ...args], timeoutMs: 20_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    return r.stdout;
  };
  const hp = () => `${hello.port}`;

  it('gets the proxy variables, and still runs its loopback workload', async () => {
    const env = JSON.parse(await node(online, 'process.stdout.write(JSON.stringify(process.env))')) as Record<string, string>;
    assert.equal(env.HTTPS_PROXY, 'http://127.0.0.1:3128');
    assert.equal(env.http_proxy, 'http://127.0.0.1:3128');
    assert.match(env.NO_PROXY, /127\.0\.0\.1/);
    const t = m.template('integration-test');
    assert.equal((await m.exec(online, { argv: t.check.argv })).stdout, t.check.expect);
  });

  it('reaches the allowed name through the proxy (plain HTTP and a CONNECT tunnel), audited with the task', async () => {
    assert.equal(await node(online, CLIENT, 'plain', `allowed.test:${hp()}`), `200 hello /plain host=allowed.test:${hp()}`);
    assert.equal(await node(online, CLIENT, 'tunnel', `allowed.test:${hp()}`), '200 hello /tunnel host=t');
    const d = audit.of('net.connect').filter((e) => e.resource === `allowed.test:${hp()}`);
    assert.equal(d.length, 2);
    assert.ok(d.every((e) => e.decision === 'allow' && e.subject === 'agent:task-e'));
    assert.deepEqual(
      d.map((e) => (e.payload as { sandbox: string }).sandbox),
      [online, online],
    );
  });

  it('is refused the denied name, a private one, IP literals, a Host mismatch and a CONNECT to the proxy itself', async () => {
    const before = hello.connections();
    assert.match(await node(online, CLIENT, 'tunnel', `denied.test:${hp()}`), /^403/);
    assert.match(await node(online, CLIENT, 'plain', `private.test:${hp()}`), /^403 .*resolves to 127\.0\.0\.1 \(loopback\)/);
    for (const lit of ['127.0.0.1', '2130706433', '0x7f.1', '[::1]', '169.254.169.254']) {
      assert.match(await node(online, CLIENT, 'tunnel', `${lit}:${hp()}`), /^403/, lit);
    }
    assert.match(await node(online, CLIENT, 'plain', `allowed.test:${hp()}`, `denied.test:${hp()}`), /^400 .*disagrees/);
    assert.match(await node(online, CLIENT, 'tunnel', '127.0.0.1:3128'), /^403/);
    assert.equal(hello.connections(), before, 'no refused request reached the server');
    const denied = audit.of('net.connect').filter((e) => e.resource === `denied.test:${hp()}`);
    assert.equal(denied.length, 1);
    assert.equal(denied[0].decision, 'deny');
    assert.ok(denied[0].ruleIds!.includes('denied-net'));
  });

  it('has no route out and no resolver besides the proxy', async () => {
    const r = JSON.parse(await node(online, DIRECT, hp())) as Record<string, string>;
    assert.equal(r.hostLoopback, 'ECONNREFUSED', 'the host loopback server is not the sandbox loopback');
    assert.match(r.outside, /ENETUNREACH|EHOSTUNREACH/);
    assert.equal(r.proxyPort, 'connected');
    assert.match(r.dns, /EAI_AGAIN|ENOTFOUND/);
  });

  it('a sandbox without egress (code-executor) has no proxy, no forwarder and no route', async () => {
    const off = await m.create({ template: 'code-executor' });
    const env = JSON.parse(await node(off.id, 'process.stdout.write(JSON.stringify(process.env))')) as Record<string, string>;
    assert.equal(env.HTTP_PROXY, undefined);
    assert.equal(env.AIRLOCK_EGRESS_SOCKET, undefined);
    const r = JSON.parse(await node(off.id, DIRECT, hp())) as Record<string, string>;
    assert.match(r.proxyPort, /ECONNREFUSED|EPERM/); // its seccomp profile may refuse INET sockets altogether
    assert.match(r.outside, /ENETUNREACH|EHOSTUNREACH|EPERM/);
    assert.match(r.dns, /EAI_AGAIN|ENOTFOUND/);
    assert.equal(fs.existsSync(path.join(state, 'egress', off.id)), false);
    await m.destroy(off.id);
  });

  it("a long-lived process talks over a socket in the sandbox's egress folder; without one reachable, the exec stream", async () => {
    const docker = engineAt(m.runtime.socketPath);
    const user = m.templates.get('integration-test')!.user;
    // Echoes its stdin, then says what its fds 0 and 1 are (on stderr: stdout is the channel).
    const echo = ['node', '-e', ECHO];
    const talk = async (p: Awaited<ReturnType<typeof sandboxProcess>>) => {
      let got = '';
      p.stdio.on('data', (d: Buffer) => (got += d.toString()));
      const closed = new Promise((r) => p.stdio.once('close', r));
      p.stdio.end('ping');
      await closed;
      return { got, kinds: p.stderrTail().trim(), code: await p.exitCode() };
    };
    const info = m.list().find((x) => x.id === online)!;
    const viaSocket = await talk(
      await sandboxProcess(docker, { containerId: info.containerId!, stdioFolder: m.stdioFolder(online) }, echo, { user }),
    );
    assert.deepEqual(viaSocket, { got: 'ping', kinds: 'socket socket', code: 0 });
    assert.ok(!fs.readdirSync(path.join(state, 'egress', online)).some((f) => f.startsWith('stdio-')), 'the socket file is gone');
    // A folder the sandbox cannot reach (as under gVisor without host sockets): the launcher says so, the exec stream
    // carries the same process instead.
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-nowhere-'));
    const viaExec = await talk(await sandboxProcess(docker, { containerId: info.containerId!, stdioFolder: elsewhere }, echo, { user }));
    assert.deepEqual(viaExec, { got: 'ping', kinds: 'pipe pipe', code: 0 });
    fs.rmSync(elsewhere, { recursive: true, force: true });
  });

  it("closes the sandbox's proxy socket when the sandbox goes", async () => {
    const s = await m.create({ template: 'integration-test' });
    const sock = path.join(state, 'egress', s.id, 'proxy.sock');
    assert.ok(fs.existsSync(sock));
    await m.destroy(s.id);
    assert.equal(fs.existsSync(sock), false);
  });
});
