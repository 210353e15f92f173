// The egress proxy end to end on this machine: a unix socket per sandbox, the policy and the audit log real or in
// memory, test servers on loopback reached only through the proxy with an injected resolver.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { EgressProxy, type EgressEndpoint } from '../../../kernel/src/egress/proxy';
import type { EgressApprover, EgressClient } from '../../../kernel/src/egress/decide';
import { helloServer, MemoryAudit, rawExchange, testPolicy, testResolver } from './fixture';

describe('egress proxy', function () {
  let dir: string;
  let audit: MemoryAudit;
  let proxy: EgressProxy;
  let ep: EgressEndpoint;
  let hello: Awaited<ReturnType<typeof helloServer>>;
  let second: http.Server;
  let approve: EgressApprover | undefined;
  const client: EgressClient = {
    sandbox: 'sbx-test',
    task: 'task-1',
    session: 's-1',
    subject: { kind: 'agent', id: 'task-1', tags: [] },
    get approve() {
      return approve;
    },
  };

  before(async () => {
    hello = await helloServer();
    second = http.createServer((_q, r) => r.end('second'));
    await new Promise<void>((res) => second.listen(hello.port, '127.0.0.2', res));
  });
  after(() => {
    hello.server.close();
    second.close();
  });
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-egress-'));
    audit = new MemoryAudit();
    approve = undefined;
    proxy = new EgressProxy({ policy: testPolicy(), audit: audit.source, dir, resolve: testResolver, headTimeoutMs: 500 });
    ep = await proxy.listen(client);
  });
  afterEach(async () => {
    await proxy.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const get = (host: string, extra = '') =>
    rawExchange(ep.socketPath, `GET http://${host}:${hello.port}/x HTTP/1.1\r\nHost: ${host}:${hello.port}\r\n${extra}\r\n`);
  const connect = (authority: string, extra = '') => rawExchange(ep.socketPath, `CONNECT ${authority} HTTP/1.1\r\n${extra}\r\n`, 1500);

  it('serves one socket per sandbox, world-connectable in a 0755 folder, removed on close', async () => {
    assert.equal(ep.socketPath, path.join(dir, 'sbx-test', 'proxy.sock'));
    assert.equal(fs.statSync(ep.socketPath).mode & 0o777, 0o666);
    assert.equal(fs.statSync(path.dirname(ep.socketPath)).mode & 0o777, 0o755);
    await proxy.close('sbx-test');
    assert.equal(fs.existsSync(path.dirname(ep.socketPath)), false);
  });

  it('relays plain HTTP to an allowed name in origin form and records decision, then bytes', async () => {
    const r = await get('allowed.test');
    assert.match(r, /^HTTP\/1\.1 200/);
    assert.match(r, new RegExp(`hello /x host=allowed.test:${hello.port}`));
    const [d] = audit.of('net.connect');
    assert.equal(d.resource, `allowed.test:${hello.port}`);
    assert.equal(d.decision, 'allow');
    assert.deepEqual(d.ruleIds, ['allowed-net', 'allowed-private', 'any-literal']);
    assert.equal(d.subject, 'agent:task-1');
    assert.equal((d.payload as { address: string }).address, '127.0.0.1');
    // The close is recorded when both sides are done, which may be just after the client saw the end.
    for (let i = 0; i < 100 && !audit.of('net.close').length; i++) await new Promise((r) => setTimeout(r, 10));
    const [c] = audit.of('net.close');
    const p = c.payload as { bytesUp: number; bytesDown: number; connection: string };
    assert.ok(p.bytesUp > 20 && p.bytesDown > 20, JSON.stringify(p));
    assert.equal(p.connection, (d.payload as { connection: string }).connection);
    assert.ok(audit.entries.indexOf(d) < audit.entries.indexOf(c));
  });

  it('tunnels CONNECT to an allowed name without reading the bytes', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const s = net.connect(ep.socketPath);
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString();
        if (buf.startsWith('HTTP/1.1 200 Connection established\r\n\r\n') && !buf.includes('hello')) {
          s.write(`GET /tunnelled HTTP/1.1\r\nHost: whatever\r\nConnection: close\r\n\r\n`);
        }
      });
      s.on('end', () => resolve(buf));
      s.on('error', reject);
      s.write(`CONNECT allowed.test:${hello.port} HTTP/1.1\r\nHost: allowed.test:${hello.port}\r\n\r\n`);
    });
    assert.match(body, /hello \/tunnelled host=whatever/);
    assert.equal(audit.of('net.connect')[0].payload && (audit.of('net.connect')[0].payload as { via: string }).via, 'connect');
  });

  it('refuses a denied name (403, audited as deny with its rule) and never connects', async () => {
    const before = hello.connections();
    const r = await connect(`denied.test:${hello.port}`);
    assert.match(r, /^HTTP\/1\.1 403/);
    const [d] = audit.of('net.connect');
    assert.equal(d.decision, 'deny');
    assert.ok(d.ruleIds!.includes('denied-net'));
    assert.equal(hello.connections(), before);
  });

  it('refuses a name that resolves to a private address unless net.private allows it', async () => {
    const r = await get('private.test');
    assert.match(r, /^HTTP\/1\.1 403/);
    assert.match(r, /resolves to 127\.0\.0\.1 \(loopback\)/);
    assert.match(await get('unknown.test'), /^HTTP\/1\.1 403[^]*did not resolve|could not be judged/);
  });

  it('refuses a name with one public and one private address (every answer is checked)', async () => {
    assert.match(await connect('mixed.test:443'), /10\.0\.0\.1 \(private\)/);
  });

  it('refuses IP literals in every form unless a rule names the literal', async () => {
    for (const lit of [
      '127.0.0.1',
      '2130706433',
      '0x7f.1',
      '0177.0.0.1',
      '127.1',
      '[::1]',
      '[::ffff:127.0.0.1]',
      '169.254.169.254',
      '[fd00:ec2::254]',
    ]) {
      const r = await connect(`${lit}:${hello.port}`);
      assert.match(r, /^HTTP\/1\.1 403[^]*IP literal/, lit);
    }
    const ok = await get('127.0.0.2');
    assert.match(ok, /^HTTP\/1\.1 200[^]*second/);
  });

  it('asks a person for ask rules: their allow connects, their decline refuses, no approver refuses with a reason', async () => {
    assert.match(await get('ask.test'), /^HTTP\/1\.1 403[^]*no one can be asked/);
    const asked: unknown[] = [];
    approve = async (q) => {
      asked.push(q.input);
      return 'allow';
    };
    assert.match(await get('ask.test'), /^HTTP\/1\.1 200/);
    assert.deepEqual(asked, [{ host: 'ask.test', port: hello.port, resource: `ask.test:${hello.port}`, sandbox: 'sbx-test' }]);
    approve = async () => 'deny';
    assert.match(await get('ask.test'), /^HTTP\/1\.1 403[^]*declined/);
    const answers = audit.of('net.connect').map((e) => (e.payload as { answer: string | null }).answer);
    assert.deepEqual(answers, [null, 'allow', 'deny']);
  });

  it('refuses a Host header that disagrees with the URI, duplicate Hosts, https:// and origin-form targets', async () => {
    assert.match(
      await rawExchange(ep.socketPath, `GET http://allowed.test:${hello.port}/ HTTP/1.1\r\nHost: denied.test\r\n\r\n`),
      /^HTTP\/1\.1 400[^]*disagrees/,
    );
    assert.match(
      await rawExchange(
        ep.socketPath,
        `GET http://allowed.test:${hello.port}/ HTTP/1.1\r\nHost: allowed.test:${hello.port}\r\nHost: denied.test\r\n\r\n`,
      ),
      /more than one Host/,
    );
    assert.match(await rawExchange(ep.socketPath, 'GET https://allowed.test/ HTTP/1.1\r\n\r\n'), /CONNECT/);
    assert.match(await rawExchange(ep.socketPath, 'GET / HTTP/1.1\r\nHost: allowed.test\r\n\r\n'), /absolute http:\/\/ URI/);
    // A CONNECT's Host header is ignored: the target alone is judged and connected to (denied.test is never reached).
    assert.match(await connect(`allowed.test:${hello.port}`, 'Host: denied.test:443\r\n'), /^HTTP\/1\.1 200/);
    assert.deepEqual(
      audit
        .of('net.connect')
        .map((e) => e.resource)
        .filter((r) => r!.startsWith('denied')),
      [],
    );
    assert.match(await rawExchange(ep.socketPath, `GET http://user@allowed.test:${hello.port}/ HTTP/1.1\r\n\r\n`), /user information/);
  });

  it('refuses nested CONNECT (to the proxy itself or pipelined behind a CONNECT) and data before the tunnel', async () => {
    assert.match(await connect(`127.0.0.1:3128`), /403[^]*IP literal/);
    assert.match(await connect('localhost:3128'), /403/);
    const pipelined = `CONNECT allowed.test:${hello.port} HTTP/1.1\r\n\r\nCONNECT denied.test:443 HTTP/1.1\r\n\r\n`;
    assert.match(await rawExchange(ep.socketPath, pipelined), /^HTTP\/1\.1 400[^]*before the tunnel/);
  });

  it('offers no SOCKS, caps the head at 16 KiB, times out a slow head, refuses chunked plain HTTP', async () => {
    assert.match(await rawExchange(ep.socketPath, Buffer.from([5, 1, 0])), /SOCKS is not offered/);
    assert.match(await rawExchange(ep.socketPath, Buffer.from([4, 1, 0, 80, 127, 0, 0, 1, 0])), /SOCKS is not offered/);
    assert.match(
      await rawExchange(ep.socketPath, `GET http://allowed.test/ HTTP/1.1\r\nX: ${'a'.repeat(17 * 1024)}\r\n\r\n`),
      /^HTTP\/1\.1 431/,
    );
    assert.match(await rawExchange(ep.socketPath, 'GET http://allowed.test/ HTTP/1.1\r\n'), /^HTTP\/1\.1 408/);
    assert.match(
      await rawExchange(ep.socketPath, `POST http://allowed.test:${hello.port}/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`),
      /^HTTP\/1\.1 411/,
    );
    assert.ok(audit.of('net.connect').every((e) => e.decision === 'deny'));
  });

  it('forwards exactly Content-Length body bytes and nothing pipelined after them', async () => {
    const seen: string[] = [];
    const echo = http.createServer((q, r) => {
      let b = '';
      q.on('data', (d) => {
        b += d;
      });
      q.on('end', () => {
        seen.push(`${q.method} ${q.url} ${b}`);
        r.end('ok');
      });
    });
    await new Promise<void>((res) => echo.listen(0, '127.0.0.1', res));
    const port = (echo.address() as net.AddressInfo).port;
    const r = await rawExchange(
      ep.socketPath,
      `POST http://allowed.test:${port}/p HTTP/1.1\r\nHost: allowed.test:${port}\r\nContent-Length: 5\r\n\r\nhelloGET /smuggled HTTP/1.1\r\nHost: denied.test\r\n\r\n`,
    );
    echo.close();
    assert.match(r, /^HTTP\/1\.1 200/);
    assert.deepEqual(seen, ['POST /p hello']);
  });

  it('connects nothing when the decision cannot be recorded', async () => {
    audit.fail = true;
    const before = hello.connections();
    assert.match(await get('allowed.test'), /^HTTP\/1\.1 503[^]*not recorded/);
    assert.equal(hello.connections(), before);
  });

  it('refuses when the policy cannot be evaluated', async () => {
    await proxy.dispose();
    proxy = new EgressProxy({
      policy: { evaluateAsync: () => Promise.reject(new Error('engine gone')) },
      audit: audit.source,
      dir,
      resolve: testResolver,
    });
    ep = await proxy.listen(client);
    assert.match(await get('allowed.test'), /^HTTP\/1\.1 403[^]*could not be judged[^]*engine gone/);
  });
});
