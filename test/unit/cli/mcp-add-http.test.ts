// `airlock mcp add NAME --command CMD --port N [--path P]`: a streamable-HTTP server kept with its port and path, and sent
// to the kernel as one (`http` in mcp/configure); `--url`: a remote one; bad ports, URLs and mixes are usage errors.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CliIO } from '../../../cli/src/command';
import { manageMcp } from '../../../cli/src/mcp/manage';
import { serverConfigs } from '../../../cli/src/mcp/push';
import { readServers } from '../../../core/src/mcp/servers-file';
import { loadManaged } from '../../../core/src/config/managed';
import { McpServerConfig } from '../../../protocol/src/methods/mcp';

describe('airlock mcp add --port (streamable-HTTP servers)', () => {
  let home: string;
  let io: CliIO;
  const out: string[] = [];
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-mcp-http-'));
    io = {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      readStdin: async () => '',
      cwd: home,
      env: { HOME: home, XDG_CONFIG_HOME: path.join(home, 'config') },
    };
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('keeps the port and path and sends them with the server', async () => {
    assert.equal(await manageMcp('add', ['web', '--command', 'node', '--port', '8080', '--path', '/rpc', '--', '/mcp/pkg/s.js'], io), 0);
    assert.deepEqual(readServers(io.env).web.http, { port: 8080, path: '/rpc' });
    await manageMcp('add', ['plain', '--command', 'node', '--port', '3000'], io);
    assert.deepEqual(readServers(io.env).plain.http, { port: 3000, path: '/mcp' }, 'the path defaults to /mcp');
    const sent = await serverConfigs(readServers(io.env), io.env, undefined, loadManaged([]), () => undefined);
    assert.deepEqual(
      sent.map((s) => [s.name, s.http]),
      [
        ['web', { port: 8080, path: '/rpc' }],
        ['plain', { port: 3000, path: '/mcp' }],
      ],
    );
  });

  it('--url keeps a remote server, sent with its url and no command', async () => {
    assert.equal(await manageMcp('add', ['far', '--url', 'https://mcp.example.com/mcp'], io), 0);
    assert.deepEqual(readServers(io.env).far, { url: 'https://mcp.example.com/mcp', args: [], secrets: [] });
    const [sent] = await serverConfigs(readServers(io.env), io.env, undefined, loadManaged([]), () => undefined);
    assert.equal(sent.url, 'https://mcp.example.com/mcp');
    assert.equal(sent.command, undefined);
    await assert.rejects(manageMcp('add', ['bad', '--url', 'https://u:p@example.com/'], io), /without user:password@/);
    await assert.rejects(manageMcp('add', ['both', '--url', 'https://example.com/', '--command', 'node'], io), /exactly one of/);
    await assert.rejects(manageMcp('add', ['port', '--url', 'https://example.com/', '--port', '1'], io), /takes no --port/);
  });

  it("the kernel's schema takes a command or a url, never both, and no port, package or args with a url", () => {
    const ok = (c: object) => McpServerConfig.safeParse({ name: 'x', ...c }).success;
    assert.equal(ok({ command: 'node' }), true);
    assert.equal(ok({ url: 'https://a.example/mcp' }), true);
    assert.equal(ok({}), false);
    assert.equal(ok({ command: 'node', url: 'https://a.example/mcp' }), false);
    assert.equal(ok({ url: 'https://a.example/mcp', http: { port: 1 } }), false);
    assert.equal(ok({ url: 'https://a.example/mcp', args: ['x'] }), false);
    assert.equal(ok({ url: 'file:///etc/passwd' }), false);
  });

  it('refuses a bad port and a path without a port', async () => {
    await assert.rejects(manageMcp('add', ['web', '--command', 'node', '--port', '70000'], io), /--port is 1 to 65535/);
    await assert.rejects(manageMcp('add', ['web', '--command', 'node', '--path', '/x'], io), /--path goes with --port/);
    assert.deepEqual(readServers(io.env), {});
  });
});
