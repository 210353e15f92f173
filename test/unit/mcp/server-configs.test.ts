// The person's remote MCP servers as sent to the kernel (core/src/mcp/server-configs.ts): header secrets looked up in
// the environment or keychain (names in the file, values only in memory), a missing one said as MCP_SECRET_MISSING with
// its hint, and the CA bundle from --ca or NODE_EXTRA_CA_CERTS.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadManaged } from '../../../core/src/config/managed';
import { serverConfigs } from '../../../core/src/mcp/server-configs';
import { StoredServer } from '../../../core/src/mcp/servers-file';
import { McpServerConfig } from '../../../protocol/src/methods/mcp';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('remote MCP server configurations (headers, secrets, CA)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-cfg-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const stored = (over: Partial<StoredServer> = {}) =>
    StoredServer.parse({
      url: 'https://mcp.example.com/mcp',
      secrets: ['GH_TOKEN'],
      headers: { Authorization: 'Bearer ${GH_TOKEN}' },
      ...over,
    });

  it('sends the header templates with the secret values in memory (keychain after the environment)', async () => {
    const warn: string[] = [];
    const keychain = { get: async (a: string) => (a === 'mcp:gh:GH_TOKEN' ? 'from-keychain' : undefined) };
    const [c] = await serverConfigs({ gh: stored({ transport: 'sse' }) }, {}, keychain, loadManaged([]), (l) => warn.push(l));
    assert.deepEqual(warn, []);
    assert.deepEqual(c.headers, { Authorization: 'Bearer ${GH_TOKEN}' });
    assert.deepEqual(c.env, { GH_TOKEN: 'from-keychain' });
    assert.equal(c.transport, 'sse');
    assert.equal(c.ca, undefined);
    McpServerConfig.parse(c);
    const [e] = await serverConfigs({ gh: stored() }, { GH_TOKEN: 'from-env' }, keychain, loadManaged([]), () => undefined);
    assert.deepEqual(e.env, { GH_TOKEN: 'from-env' });
  });

  it('a header whose secret is set nowhere: the server is not sent, MCP_SECRET_MISSING with a hint', async () => {
    const warn: string[] = [];
    const out = await serverConfigs({ gh: stored() }, {}, { get: async () => undefined }, loadManaged([]), (l) => warn.push(l));
    assert.deepEqual(out, []);
    assert.equal(warn.length, 1);
    assert.match(warn[0], /MCP server gh not started: MCP_SECRET_MISSING: MCP server gh: header Authorization needs GH_TOKEN/);
    assert.match(warn[0], /set GH_TOKEN in the environment .* OS keychain/);
  });

  it('a stored header must use declared secrets only', () => {
    assert.throws(() => stored({ secrets: [] }), /every \$\{NAME\} in a header is one of its secrets/);
  });

  it('the CA comes from --ca, else NODE_EXTRA_CA_CERTS; https only; an unreadable --ca is refused, an unreadable env is ignored', async () => {
    const own = path.join(dir, 'own.pem');
    const extra = path.join(dir, 'extra.pem');
    fs.writeFileSync(own, PEM);
    fs.writeFileSync(extra, PEM.replace('MIIB', 'MIIC'));
    const env = { GH_TOKEN: 't', NODE_EXTRA_CA_CERTS: extra };
    const run = async (s: StoredServer, e: NodeJS.ProcessEnv = env) => {
      const warn: string[] = [];
      const out = await serverConfigs({ gh: s }, e, undefined, loadManaged([]), (l) => warn.push(l));
      return { c: out[0], warn };
    };
    assert.equal((await run(stored({ ca: own }))).c.ca, PEM);
    assert.match((await run(stored())).c.ca ?? '', /MIIC/);
    assert.equal((await run(stored({ url: 'http://mcp.example.com/mcp', headers: undefined, secrets: [] }))).c.ca, undefined);
    const gone = await run(stored({ ca: path.join(dir, 'missing.pem') }));
    assert.equal(gone.c, undefined);
    assert.match(gone.warn[0], /MCP_CA_UNREADABLE: the CA file .*missing\.pem cannot be read \(ENOENT\)/);
    fs.writeFileSync(own, `# Airlock test CA\n${PEM}# another\n${PEM.replace('MIIB', 'MIID')}`);
    assert.equal((await run(stored({ ca: own }))).c.ca, PEM + PEM.replace('MIIB', 'MIID'), 'only the certificates travel');
    fs.writeFileSync(own, PEM.repeat(8000));
    assert.match((await run(stored({ ca: own }))).warn[0], /MCP_CA_INVALID: .* up to 262144 bytes/);
    const envGone = await run(stored(), { GH_TOKEN: 't', NODE_EXTRA_CA_CERTS: path.join(dir, 'nope.pem') });
    assert.equal(envGone.c.ca, undefined, "the system's CAs alone, as Node does");
    assert.deepEqual(envGone.warn, [], 'no warning: Node said it at start, and any warning stops VS Code sending servers');
  });
});
