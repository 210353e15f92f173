// Remote MCP servers as imported configurations describe them, over HTTPS with a CA made at test time: the official SDK's
// McpServer behind StreamableHTTPServerTransport and behind the older SSEServerTransport, each requiring a bearer token.
// The kernel's MCP machinery (McpServers) with a real SandboxManager on Docker, the kernel's egress proxy and a real
// audit log (SQLite): each server's relay sandbox tunnels through the proxy as `plugin:mcp:<server>`, the kernel adds the
// token from the server's secret. Asserted: tools listed and called over both transports, the token reaching the
// server, a wrong or missing token and an untrusted certificate failing with clear reasons, and the token nowhere in
// the audit log, the state files or what the kernel printed.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import type { McpServers } from '../../../kernel/src/mcp/servers';
import { remoteRig } from './remote-fixture';
import { AuditLog } from '../../../core/src/audit/log';
import type { McpServerConfig } from '../../../protocol/src/methods/mcp';
import { authMcpServer, makePki, type AuthServer, type TestPki } from '../../unit/mcp/auth-server';

const TOKEN = 'tok_live_7d1e0c9b3a5f42e8b6c4';
const WRONG = 'tok_wrong_2b8d6f0a4c1e93d7';
const POLICY = `version: 1
rules:
  - { id: mcp-test, effect: allow, subjects: ["plugin:mcp:*"], actions: [net.connect, net.private], resources: ["mcp.test:*"] }
`;

/** Every file under dir (recursively) whose bytes contain needle. */
function filesWith(dir: string, needle: string): string[] {
  const hits: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    if (e.isFile() && fs.readFileSync(p).includes(needle)) hits.push(p);
  }
  return hits;
}

describe('remote MCP servers over https with a bearer token from the secret store (docker)', function () {
  this.timeout(300_000);
  let m: SandboxManager;
  let state: string;
  let pkiDir: string;
  let pki: TestPki;
  let log: AuditLog;
  let srv: AuthServer;
  let port: number;
  let servers: McpServers;
  const secrets: string[] = [];
  const printed: string[] = [];

  before(async () => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-state-'));
    pkiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-pki-'));
    pki = makePki(pkiDir);
    srv = authMcpServer(pki, TOKEN);
    await new Promise<void>((r) => srv.server.listen(0, '127.0.0.1', r));
    port = (srv.server.address() as AddressInfo).port;
    log = AuditLog.open({ dbPath: path.join(state, 'audit.db'), keyPath: path.join(state, 'keys', 'audit.key') });
    ({ m, servers } = await remoteRig({ policy: POLICY, stateDir: state, audit: () => log, addSecret: (v) => secrets.push(v) }));
  });

  after(async () => {
    servers?.dispose();
    await m?.shutdown();
    srv?.server.closeAllConnections();
    srv?.server.close();
    fs.rmSync(state, { recursive: true, force: true });
    fs.rmSync(pkiDir, { recursive: true, force: true });
  });

  const remote = (name: string, over: Partial<McpServerConfig> = {}): McpServerConfig => ({
    name,
    url: `https://mcp.test:${port}/mcp`,
    args: [],
    env: { TOKEN },
    headers: { Authorization: 'Bearer ${TOKEN}' },
    ca: pki.caPem,
    callTimeoutMs: 20_000,
    ...over,
  });

  it('streamable HTTP and SSE: listed and called with the token; wrong, missing token and unknown CA fail clearly', async () => {
    const write = { out: process.stdout.write, err: process.stderr.write };
    const capture = (orig: typeof process.stdout.write) =>
      ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        printed.push(String(chunk));
        return (orig as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
      }) as typeof process.stdout.write;
    process.stdout.write = capture(write.out);
    process.stderr.write = capture(write.err);
    let states;
    try {
      states = await servers.configure([
        remote('secure'),
        remote('legacy', { url: `https://mcp.test:${port}/sse`, transport: 'sse' }),
        remote('fallback', { url: `https://mcp.test:${port}/sse` }), // no transport: streamable HTTP refused (404), then SSE
        remote('wrong', { env: { TOKEN: WRONG } }),
        remote('missing', { env: {} }),
        remote('untrusted', { ca: undefined }),
        remote('leaky', { url: `https://mcp.test:${port}/leak` }),
      ]);
    } finally {
      process.stdout.write = write.out;
      process.stderr.write = write.err;
    }
    const by = new Map(states.map((s) => [s.name, s]));
    for (const n of ['secure', 'legacy', 'fallback']) {
      assert.equal(by.get(n)!.state, 'ready', `${n}: ${by.get(n)!.reason}`);
      assert.deepEqual(by.get(n)!.tools, [`mcp.${n}.echo`]);
      const spec = servers.tools().find((t) => t.name === `mcp.${n}.echo`)!;
      const r = await spec.run({ text: `via ${n}` }, { signal: new AbortController().signal } as Parameters<typeof spec.run>[1]);
      assert.deepEqual(r.content, `echo: via ${n}`);
    }
    assert.ok(srv.seen.filter((a) => a === `Bearer ${TOKEN}`).length >= 6, 'the token reached the server on every request');
    assert.equal(by.get('wrong')!.state, 'failed');
    const refused = /mcp\.test:\d+ answered HTTP 401 \(unauthorized\): it refused the headers sent \(Authorization\)/;
    assert.match(by.get('wrong')!.reason!, refused);
    assert.ok(srv.seen.includes(`Bearer ${WRONG}`), 'the wrong token was sent and refused by the server');
    assert.equal(by.get('missing')!.state, 'failed');
    assert.match(by.get('missing')!.reason!, /header Authorization needs TOKEN, which is not set/);
    assert.equal(by.get('untrusted')!.state, 'failed');
    assert.match(by.get('untrusted')!.reason!, /the certificate of mcp\.test:\d+ is not trusted/);
    assert.equal(by.get('leaky')!.state, 'failed');
    assert.match(by.get('leaky')!.reason!, /failed for Bearer \[REDACTED\]/, 'a server repeating the token: redacted in the reason');
    assert.ok(secrets.includes(TOKEN), 'the token is given to the sanitiser, so tasks never see it');

    // Every connection went through the proxy as the server's own subject.
    const connects = log.query({ action: 'net.connect', limit: 1000 }).entries;
    for (const n of ['secure', 'legacy', 'wrong'])
      assert.ok(
        connects.some((e) => e.subject === `plugin:mcp:${n}` && e.decision === 'allow'),
        `${n} tunnelled through the proxy`,
      );
    // The start record has the header's digest, not its value.
    const starts = log.query({ action: 'mcp.server.start', limit: 100, payloads: true }).entries;
    const secure = starts.find((e) => e.subject === 'plugin:mcp:secure')!;
    const digest = `sha256:${createHash('sha256').update(`Bearer ${TOKEN}`).digest('hex')}`;
    assert.deepEqual((secure.payload as { transport: { headers: unknown } }).transport.headers, { Authorization: digest });

    // The SSE server restarts (its stream ends): that server is failed with why, the stateless streamable one is not.
    srv.server.closeAllConnections();
    const deadline = Date.now() + 15_000;
    while (servers.list().find((s) => s.name === 'legacy')!.state === 'ready' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    const legacy = servers.list().find((s) => s.name === 'legacy')!;
    assert.equal(legacy.state, 'failed');
    assert.match(legacy.reason!, /its SSE stream from mcp\.test:\d+ ended/);
    assert.equal(servers.list().find((s) => s.name === 'secure')!.state, 'ready');

    servers.dispose();
    await new Promise((r) => setTimeout(r, 500));
    log.flush();
    log.dispose();
    for (const needle of [TOKEN, WRONG]) {
      assert.deepEqual(filesWith(state, needle), [], `${needle.slice(0, 9)}… is in no state file (the audit database included)`);
      assert.ok(!printed.join('').includes(needle), 'nor in what was printed');
    }
    assert.ok(filesWith(state, digest.slice(7)).length > 0, 'while the digest is in the audit database');
  });
});
