// VS Code sends the person's MCP servers only when it can resolve all of them (secrets from its environment): an
// incomplete set would stop servers the CLI started with keychain secrets.
import * as assert from 'node:assert/strict';
import { loadManaged } from '../../../core/src/config/managed';
import { serversToSend } from '../../../extension/src/mcp/forwardServers';

describe('VS Code forwarding MCP servers', () => {
  const stored = {
    web: { command: 'node', args: ['/mcp/pkg/s.js'], secrets: [], http: { port: 3000, path: '/mcp' } },
    gh: { command: 'node', args: [], secrets: ['GH_TOKEN'] },
    far: { url: 'https://mcp.example.com/mcp', args: [], secrets: [] },
  };

  it('sends every server when each secret is in the environment', async () => {
    const r = await serversToSend(stored, { GH_TOKEN: 't' }, loadManaged([]));
    assert.ok('send' in r);
    assert.deepEqual(
      r.send.map((s) => [s.name, s.env, s.http, s.url]),
      [
        ['web', {}, { port: 3000, path: '/mcp' }, undefined],
        ['gh', { GH_TOKEN: 't' }, undefined, undefined],
        ['far', {}, undefined, 'https://mcp.example.com/mcp'],
      ],
    );
  });

  it('sends nothing, and says why, when a secret is missing or managed settings refuse a server', async () => {
    const missing = await serversToSend(stored, {}, loadManaged([]));
    assert.ok('skip' in missing);
    assert.match(missing.skip, /MCP server gh not started: set GH_TOKEN.*leaves the kernel's MCP servers as they are/);
    const refused = await serversToSend(stored, { GH_TOKEN: 't' }, { ...loadManaged([]), allow: { 'mcp.servers': ['web', 'gh'] } });
    assert.ok('skip' in refused);
    assert.match(refused.skip, /MCP server far not started/);
  });
});
