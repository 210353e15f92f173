// A token a remote MCP server takes in its URL (`?key=…`): stored and recorded as `${NAME}`, substituted in the kernel
// (URL-encoded, https only), reaching a real SDK server over TLS; a literal one is never recorded, said or stored.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { AirlockError } from '../../../protocol/src/errors';
import { McpServerConfig } from '../../../protocol/src/methods/mcp';
import { resolveUrl, shownUrl, templateUrl, urlRefs } from '../../../core/src/mcp/url-template';
import { parseClientConfig, StoredServer } from '../../../core/src/mcp/servers-file';
import { remoteRecord, remoteTransport } from '../../../kernel/src/mcp/remote';
import { startAuthServer, type TestPki } from './auth-server';
import { connectRemote } from './fake-tunnel';

const TOKEN = 'tok_4b1d9e0c7a2f6e3b5d8c';

describe('remote MCP servers: a token in the URL', function () {
  this.timeout(30_000);

  it('templateUrl takes literal credential query values out, turns other clients’ variables into secrets', () => {
    const t = templateUrl('https://h.example/mcp?api_key=sk-live-1&region=eu&sig=a%2Bb#x', false);
    assert.equal(t.url, 'https://h.example/mcp?api_key=${API_KEY}&region=eu&sig=${SIG}#x');
    assert.deepEqual(t.replaced, { api_key: 'API_KEY', sig: 'SIG' });
    assert.deepEqual(t.values, { API_KEY: 'sk-live-1', SIG: 'a+b' });
    assert.deepEqual(t.secrets, ['API_KEY', 'SIG']);
    assert.equal(templateUrl('https://h/mcp?token=${input:tok}', true).url, 'https://h/mcp?token=${tok}');
    assert.equal(templateUrl('https://h/mcp?token=${TOK:-x}', false).url, 'https://h/mcp?token=${TOK}');
    assert.match(templateUrl('https://h/mcp?d=${workspaceFolder}', true).skipped ?? '', /uses \$\{workspaceFolder\}/);
    assert.match(templateUrl('https://${HOST}/mcp', false).skipped ?? '', /variable in its host/);
    assert.deepEqual(urlRefs('https://h/s/${A}/mcp?k=${B}'), ['A', 'B']);
  });

  it('resolveUrl encodes values and names a missing secret; shownUrl digests literal credentials only', () => {
    assert.equal(resolveUrl('x', 'https://h/mcp?key=${K}', { K: 'a b&c=d' }), 'https://h/mcp?key=a%20b%26c%3Dd');
    assert.throws(
      () => resolveUrl('x', 'https://h/mcp?key=${K}', {}),
      (e: AirlockError) => e.code === 'MCP_SECRET_MISSING' && /its URL needs K/.test(e.message),
    );
    const shown = shownUrl(`https://h/mcp?access_token=${TOKEN}&key=\${K}&page=2`);
    assert.match(shown, /^https:\/\/h\/mcp\?access_token=sha256:[0-9a-f]{16}&key=\$\{K\}&page=2$/);
    assert.ok(!shown.includes(TOKEN));
  });

  it('the schemas take ${NAME} in the path or query of an https URL only, and only as one of its secrets', () => {
    assert.ok(McpServerConfig.parse({ name: 'a', url: 'https://h/mcp?key=${K}', env: { K: 'v' } }).url);
    assert.throws(() => McpServerConfig.parse({ name: 'a', url: 'http://h/mcp?key=${K}' }), /secret in a URL is sent over https only/);
    assert.throws(() => McpServerConfig.parse({ name: 'a', url: 'https://${H}/mcp' }), /no \$\{NAME\} in the host/);
    assert.throws(() => StoredServer.parse({ url: 'https://h/mcp?key=${K}' }), /every \$\{NAME\} in its url is one of its secrets/);
    assert.ok(StoredServer.parse({ url: 'https://h/mcp?key=${K}', secrets: ['K'] }));
  });

  it('an imported literal token becomes a secret; over plain http such a server is skipped', () => {
    const r = parseClientConfig(
      JSON.stringify({
        mcpServers: {
          hosted: { type: 'http', url: `https://h.example/mcp?api_key=${TOKEN}` },
          clear: { type: 'http', url: 'http://h.example/mcp?token=${T}' },
        },
      }),
      '.mcp.json',
    );
    const hosted = r.find((e) => e.name === 'hosted')!;
    assert.equal(hosted.url, 'https://h.example/mcp?api_key=${API_KEY}');
    assert.deepEqual(hosted.env, ['API_KEY']);
    assert.deepEqual(hosted.replacedQuery, { api_key: 'API_KEY' });
    assert.ok(!JSON.stringify(r).includes(TOKEN), 'the value is never copied');
    assert.match(r.find((e) => e.name === 'clear')!.skipped ?? '', /secret in its URL over plain http/);
  });

  describe('against a real SDK server over https', () => {
    let pki: TestPki;
    let port: number;
    let stop: () => void;
    before(async () => {
      ({ pki, port, stop } = await startAuthServer(TOKEN));
    });
    after(() => stop());
    const connect = (c: McpServerConfig, crossed: Buffer[]) => connectRemote(c, port, crossed);

    it('${KEY} is substituted in the kernel: tools listed; the token never crosses in clear and is never recorded', async () => {
      const c = McpServerConfig.parse({ name: 'q', url: `https://mcp.test:${port}/mcp?key=\${KEY}`, env: { KEY: TOKEN }, ca: pki.caPem });
      const crossed: Buffer[] = [];
      const { client, err } = await connect(c, crossed);
      assert.equal(err, undefined, String(err));
      assert.deepEqual(
        (await client.listTools()).tools.map((t) => t.name),
        ['echo'],
      );
      await client.close();
      assert.equal(Buffer.concat(crossed).indexOf(TOKEN), -1, 'TLS end to end');
      const rec = remoteRecord(c);
      assert.equal(rec.url, `https://mcp.test:${port}/mcp?key=\${KEY}`);
      assert.ok(!JSON.stringify(rec).includes(TOKEN));
    });

    it('a literal token sent by another client is recorded and said as a digest, never as written', async () => {
      // transport http at a path that answers 404: the refusal names the URL.
      const c = McpServerConfig.parse({ name: 'l', url: `https://mcp.test:${port}/nope?key=${TOKEN}`, transport: 'http', ca: pki.caPem });
      const { client, refused, err } = await connect(c, []);
      assert.ok(err, 'refused');
      assert.equal(refused[0]?.code, 'MCP_REMOTE_TRANSPORT');
      assert.match(refused[0].message, /\/nope\?key=sha256:[0-9a-f]{16} does not take streamable HTTP/);
      assert.ok(!JSON.stringify([refused, remoteRecord(c)]).includes(TOKEN));
      await client.close();
    });
  });
});
