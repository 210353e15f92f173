// `airlock mcp add NAME --command CMD --port N [--path P]`: a streamable-HTTP server kept with its port and path, and sent
// to the kernel as one (`http` in mcp/configure); bad ports and a path without a port are usage errors.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CliIO } from '../../../cli/src/command';
import { manageMcp } from '../../../cli/src/mcp/manage';
import { serverConfigs } from '../../../cli/src/mcp/push';
import { readServers } from '../../../cli/src/mcp/servers-file';
import { loadManaged } from '../../../core/src/config/managed';

describe('airlock mcp add --port (streamable-HTTP servers)', () => {
  let home: string;
  let io: CliIO;
  const out: string[] = [];
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-mcp-http-'));
    io = { out: (l) => out.push(l), err: (l) => out.push(l), readStdin: async () => '', cwd: home,
      env: { HOME: home, XDG_CONFIG_HOME: path.join(home, 'config') } };
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('keeps the port and path and sends them with the server', async () => {
    assert.equal(await manageMcp('add', ['web', '--command', 'node', '--port', '8080', '--path', '/rpc', '--', '/mcp/pkg/s.js'], io), 0);
    assert.deepEqual(readServers(io.env).web.http, { port: 8080, path: '/rpc' });
    await manageMcp('add', ['plain', '--command', 'node', '--port', '3000'], io);
    assert.deepEqual(readServers(io.env).plain.http, { port: 3000, path: '/mcp' }, 'the path defaults to /mcp');
    const sent = await serverConfigs(readServers(io.env), io.env, undefined, loadManaged([]), () => undefined);
    assert.deepEqual(sent.map((s) => [s.name, s.http]), [['web', { port: 8080, path: '/rpc' }], ['plain', { port: 3000, path: '/mcp' }]]);
  });

  it('refuses a bad port and a path without a port', async () => {
    await assert.rejects(manageMcp('add', ['web', '--command', 'node', '--port', '70000'], io), /--port is 1 to 65535/);
    await assert.rejects(manageMcp('add', ['web', '--command', 'node', '--path', '/x'], io), /--path goes with --port/);
    assert.deepEqual(readServers(io.env), {});
  });
});
