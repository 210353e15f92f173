// Importing other clients' MCP configurations (.vscode/mcp.json, .mcp.json) and the package identity hash.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseClientConfig } from '../../../core/src/mcp/servers-file';
import { contentHash, CONTENT_HASH_PROGRAM } from '../../../core/src/mcp/content-hash';

describe('airlock mcp add --from', () => {
  it('reads .vscode/mcp.json stdio servers (comments allowed), npx entries as npm installs, env names only', () => {
    const text = `{
      // VS Code allows comments
      "servers": {
        "GitHub": { "type": "stdio", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"], "env": { "GITHUB_TOKEN": "ghp_secret_value" } },
        "remote": { "type": "http", "url": "https://example.com/mcp" },
        "local": { "command": "node", "args": ["server.js", "--x"], },
      }
    }`;
    const r = parseClientConfig(text, '.vscode/mcp.json');
    assert.deepEqual(
      r.find((e) => e.name === 'github'),
      { name: 'github', command: 'node', args: [], env: ['GITHUB_TOKEN'], npm: '@modelcontextprotocol/server-github' },
    );
    assert.deepEqual(
      r.find((e) => e.name === 'remote'),
      { name: 'remote', command: '', url: 'https://example.com/mcp', args: [], env: [] },
    );
    assert.deepEqual(
      r.find((e) => e.name === 'local'),
      { name: 'local', command: 'node', args: ['server.js', '--x'], env: [] },
    );
    assert.ok(!JSON.stringify(r).includes('ghp_secret_value'), 'env values are never copied');
  });

  it('takes remote entries (http, sse, untyped /sse); headers become secret templates, values are never copied', () => {
    const r = parseClientConfig(
      `{
        "inputs": [{ "type": "promptString", "id": "gh-token", "password": true }],
        "servers": {
          "sse": { "type": "sse", "url": "https://example.com/sse" },
          "authed": { "type": "http", "url": "https://example.com/mcp", "headers": { "Authorization": "Bearer \${input:gh-token}" } },
          "envd": { "type": "http", "url": "https://example.com/mcp", "headers": { "X-Api-Key": "\${env:EXAMPLE_KEY}", "X-Org": "acme" } },
          "literal": { "url": "https://example.com/v1/sse", "headers": { "Authorization": "Bearer sk-literal-value" } },
          "folder": { "type": "http", "url": "https://example.com/mcp", "headers": { "X-Dir": "\${workspaceFolder}" } },
          "clear": { "type": "http", "url": "http://example.com/mcp", "headers": { "Authorization": "Bearer \${input:t}" } },
          "creds": { "type": "http", "url": "https://user:pw@example.com/mcp" },
          "ftp": { "type": "http", "url": "ftp://example.com/mcp" },
          "ws": { "type": "ws", "url": "wss://example.com/mcp" }
        }
      }`,
      '.vscode/mcp.json',
    );
    const get = (n: string) => r.find((e) => e.name === n)!;
    assert.deepEqual(get('sse'), { name: 'sse', command: '', url: 'https://example.com/sse', args: [], env: [], transport: 'sse' });
    assert.deepEqual(get('authed'), {
      name: 'authed',
      command: '',
      url: 'https://example.com/mcp',
      args: [],
      env: ['gh_token'],
      headers: { Authorization: 'Bearer \${gh_token}' },
    });
    assert.deepEqual(get('envd').headers, { 'X-Api-Key': '\${EXAMPLE_KEY}', 'X-Org': 'acme' });
    assert.deepEqual(get('envd').env, ['EXAMPLE_KEY']);
    const literal = get('literal');
    assert.equal(literal.transport, 'sse', 'an untyped url ending in /sse is an SSE server');
    assert.deepEqual(literal.headers, { Authorization: '\${AUTHORIZATION}' });
    assert.deepEqual(literal.replaced, { Authorization: 'AUTHORIZATION' });
    assert.deepEqual(literal.env, ['AUTHORIZATION']);
    assert.ok(!JSON.stringify(r).includes('sk-literal-value'), 'a literal credential is never copied');
    assert.match(get('folder').skipped!, /header X-Dir uses \$\{workspaceFolder\}, which Airlock does not expand/);
    assert.match(get('clear').skipped!, /sends headers over plain http/);
    assert.match(get('ws').skipped!, /ws servers are not supported/);
    for (const n of ['creds', 'ftp']) assert.match(get(n).skipped!, /not an http\(s\) URL without credentials/);
  });

  it(".mcp.json headers: Claude Code's \${VAR} and \${VAR:-default} are secrets; \${input:…} is VS Code's only", () => {
    const r = parseClientConfig(
      JSON.stringify({
        mcpServers: {
          api: { type: 'http', url: 'https://api.example.com/mcp', headers: { Authorization: 'Bearer \${API_KEY:-none}' } },
          old: { type: 'sse', url: 'https://api.example.com/events', headers: { 'X-Token': '\${env:TOK}' } },
          odd: { type: 'http', url: 'https://api.example.com/mcp', headers: { Authorization: 'Bearer \${input:x}' } },
        },
      }),
      '.mcp.json',
    );
    assert.deepEqual(r[0].headers, { Authorization: 'Bearer \${API_KEY}' });
    assert.deepEqual(r[0].env, ['API_KEY']);
    assert.equal(r[1].transport, 'sse');
    assert.deepEqual(r[1].headers, { 'X-Token': '\${TOK}' });
    assert.match(r[2].skipped!, /uses \$\{input:x\}/);
  });

  it("reads .mcp.json (mcpServers) with the npx package's own arguments kept", () => {
    const r = parseClientConfig(
      JSON.stringify({ mcpServers: { fs: { command: 'npx', args: ['@modelcontextprotocol/server-filesystem@2025.8.21', '/data'] } } }),
      '.mcp.json',
    );
    assert.deepEqual(r, [
      { name: 'fs', command: 'node', args: ['/data'], env: [], npm: '@modelcontextprotocol/server-filesystem@2025.8.21' },
    ]);
  });

  it('refuses a file with neither servers nor mcpServers', () => {
    assert.throws(() => parseClientConfig('{"other": {}}', 'x.json'), /MCP_IMPORT_INVALID|neither/);
  });
});

describe('MCP package identity', () => {
  it('hashes the same on the host and through the sandbox program, and changes with any byte, mode or name', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-hash-'));
    fs.mkdirSync(path.join(dir, 'lib'));
    fs.writeFileSync(path.join(dir, 'lib', 'a.js'), 'a');
    fs.writeFileSync(path.join(dir, 'b.js'), 'b');
    const h = contentHash(dir);
    assert.equal(execFileSync(process.execPath, ['-e', CONTENT_HASH_PROGRAM, dir]).toString(), h);
    fs.chmodSync(path.join(dir, 'b.js'), 0o755);
    const h2 = contentHash(dir);
    assert.notEqual(h2, h);
    fs.writeFileSync(path.join(dir, 'lib', 'a.js'), 'A');
    assert.notEqual(contentHash(dir), h2);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
