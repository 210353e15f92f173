// `airlock mcp add NAME --url … [--sse] [--header 'N: V'] [--secret VAR] [--ca FILE]` and `--from` with remote entries:
// what is written to servers.json (templates and secret names, never a value) and what is sent to the kernel.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CliIO } from '../../../cli/src/command';
import { manageMcp } from '../../../cli/src/mcp/manage';
import { serverConfigs } from '../../../cli/src/mcp/push';
import { keepUrlSecrets, planUrl } from '../../../cli/src/mcp/add-url';
import { osKeychain } from '../../../cli/src/auth/keychain';
import type { AirlockError } from '../../../protocol/src/errors';
import { mcpHome, readServers } from '../../../core/src/mcp/servers-file';
import { loadManaged } from '../../../core/src/config/managed';

describe('airlock mcp add: remote servers with headers, SSE and a CA', () => {
  let home: string;
  let io: CliIO;
  let out: string[];
  beforeEach(() => {
    out = [];
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-mcp-remote-'));
    io = {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      readStdin: async () => '',
      cwd: home,
      env: { HOME: home, XDG_CONFIG_HOME: path.join(home, 'config') },
    };
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('keeps the header as a template of its --secret, the transport and the CA path; sends the value in memory', async () => {
    fs.writeFileSync(path.join(home, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const args = ['gh', '--url', 'https://mcp.example.com/sse', '--sse', '--header', 'Authorization: Bearer ${GH_TOKEN}'];
    assert.equal(await manageMcp('add', [...args, '--secret', 'GH_TOKEN', '--ca', 'ca.pem'], io), 0);
    assert.deepEqual(readServers(io.env).gh, {
      url: 'https://mcp.example.com/sse',
      args: [],
      secrets: ['GH_TOKEN'],
      transport: 'sse',
      headers: { Authorization: 'Bearer ${GH_TOKEN}' },
      ca: path.join(home, 'ca.pem'),
    });
    const [sent] = await serverConfigs(readServers(io.env), { GH_TOKEN: 'ghp_value' }, undefined, loadManaged([]), () => undefined);
    assert.deepEqual([sent.transport, sent.headers, sent.env], ['sse', { Authorization: 'Bearer ${GH_TOKEN}' }, { GH_TOKEN: 'ghp_value' }]);
    assert.match(sent.ca!, /BEGIN CERTIFICATE/);
  });

  it('refuses a header naming no --secret, a header over http, and remote options without --url', async () => {
    const https = ['x', '--url', 'https://e.example/mcp'];
    await assert.rejects(manageMcp('add', [...https, '--header', 'Authorization: Bearer ${T}'], io), /uses \$\{T\}: add --secret T/);
    await assert.rejects(manageMcp('add', [...https, '--header', 'nocolon'], io), /not 'Name: value'/);
    await assert.rejects(manageMcp('add', [...https, '--header', 'Host: x'], io), /a header the MCP transport sets itself/);
    await assert.rejects(
      manageMcp('add', ['x', '--url', 'http://e.example/mcp', '--header', 'A: ${T}', '--secret', 'T'], io),
      /needs an https URL/,
    );
    await assert.rejects(manageMcp('add', ['x', '--command', 'node', '--sse'], io), /are for a remote server/);
  });

  it('--from imports remote entries with their headers as secrets; no value reaches servers.json', async () => {
    const file = path.join(home, 'mcp.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        servers: {
          api: { type: 'http', url: 'https://api.example.com/mcp', headers: { Authorization: 'Bearer ${input:api-token}' } },
          legacy: { type: 'sse', url: 'https://old.example.com/sse', headers: { 'X-Api-Key': 'literal-key-123' } },
        },
      }),
    );
    assert.equal(await manageMcp('add', ['--from', file], io), 0);
    const s = readServers(io.env);
    assert.deepEqual(s.api.headers, { Authorization: 'Bearer ${api_token}' });
    assert.deepEqual(s.api.secrets, ['api_token']);
    assert.deepEqual([s.legacy.transport, s.legacy.headers, s.legacy.secrets], ['sse', { 'X-Api-Key': '${X_API_KEY}' }, ['X_API_KEY']]);
    assert.ok(
      out.some((l) => /^added api \(remote https:\/\/api\.example\.com\/mcp: .*\); needs api_token/.test(l)),
      out.join('\n'),
    );
    assert.ok(out.some((l) => /^added legacy \(remote sse https:\/\/old\.example\.com\/sse: .*\); needs X_API_KEY/.test(l)));
    const said = /legacy: the value of header X-Api-Key was not copied; it is now the secret X_API_KEY/;
    assert.ok(
      out.some((l) => said.test(l)),
      out.join('\n'),
    );
    assert.ok(!fs.readFileSync(path.join(mcpHome(io.env), 'servers.json'), 'utf8').includes('literal-key-123'));
    const warn: string[] = [];
    const sent = await serverConfigs(s, { X_API_KEY: 'k' }, undefined, loadManaged([]), (l) => warn.push(l));
    assert.deepEqual(
      sent.map((c) => c.name),
      ['legacy'],
    );
    assert.match(warn.join('\n'), /MCP server api not started: MCP_SECRET_MISSING: .*header Authorization needs api_token/);
  });

  it('a token in --url: ${KEY} must be a --secret and https; a literal one goes to the keychain, never servers.json', async () => {
    assert.equal(await manageMcp('add', ['q', '--url', 'https://e.example/mcp?key=${KEY}', '--secret', 'KEY'], io), 0);
    assert.deepEqual(readServers(io.env).q, { url: 'https://e.example/mcp?key=${KEY}', args: [], secrets: ['KEY'] });
    const [sent] = await serverConfigs(readServers(io.env), {}, undefined, loadManaged([]), (l) => out.push(l));
    assert.equal(sent, undefined, 'not sent without its secret');
    assert.match(out.join('\n'), /MCP_SECRET_MISSING: MCP server q: its URL needs KEY/);
    await assert.rejects(manageMcp('add', ['x', '--url', 'https://e.example/mcp?key=${KEY}'], io), /uses \$\{KEY\}: add --secret KEY/);
    await assert.rejects(
      manageMcp('add', ['x', '--url', 'http://e.example/mcp?key=${KEY}', '--secret', 'KEY'], io),
      /a secret in --url needs an https URL/,
    );

    const plan = planUrl('https://e.example/mcp?api_key=sk-literal-1&v=2', [], (m) => new Error(m) as never);
    assert.deepEqual([plan.url, plan.secrets], ['https://e.example/mcp?api_key=${API_KEY}&v=2', ['API_KEY']]);
    const kept = new Map<string, string>();
    const keychain = { get: async () => undefined, remove: async () => false, set: async (a: string, v: string) => void kept.set(a, v) };
    await keepUrlSecrets(io, 'lit', plan, () => keychain);
    assert.deepEqual([...kept], [['mcp:lit:API_KEY', 'sk-literal-1']]);
    const broken = { ...keychain, set: async () => Promise.reject(new Error('no Secret Service')) };
    await assert.rejects(
      keepUrlSecrets(io, 'lit', plan, () => broken),
      (e: AirlockError) => e.code === 'MCP_SECRET_NOT_STORED',
    );
    // Through the command: stored in this machine's keychain, or refused; either way the file never has the value.
    await manageMcp('add', ['lit', '--url', 'https://e.example/mcp?api_key=sk-literal-1'], io).catch(() => 1);
    assert.ok(!fs.readFileSync(path.join(mcpHome(io.env), 'servers.json'), 'utf8').includes('sk-literal-1'));
    await osKeychain()
      .remove('mcp:lit:API_KEY')
      .catch(() => false);
  });
});
