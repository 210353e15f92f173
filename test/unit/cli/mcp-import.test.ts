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

  it('takes streamable-HTTP entries as remote servers; SSE ones, ones with headers and bad URLs are skipped with why', () => {
    const r = parseClientConfig(
      JSON.stringify({
        servers: {
          sse: { type: 'sse', url: 'https://example.com/sse' },
          authed: { type: 'http', url: 'https://example.com/mcp', headers: { Authorization: 'Bearer x' } },
          creds: { type: 'http', url: 'https://user:pw@example.com/mcp' },
          ftp: { type: 'http', url: 'ftp://example.com/mcp' },
        },
      }),
      '.vscode/mcp.json',
    );
    assert.match(r.find((e) => e.name === 'sse')!.skipped!, /sse servers are not supported/);
    assert.match(r.find((e) => e.name === 'authed')!.skipped!, /sends headers \(Authorization\)/);
    assert.ok(!JSON.stringify(r).includes('Bearer x'), 'header values are never copied');
    for (const n of ['creds', 'ftp']) assert.match(r.find((e) => e.name === n)!.skipped!, /not an http\(s\) URL without credentials/);
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
