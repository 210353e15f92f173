// Before `airlock run`/`chat`, the person's MCP servers and the plugins found (built-ins included) reach the kernel:
// the servers with their secrets from the environment, the plugins with their content hashes; what fails is said and the
// task goes on.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { IKernelClient } from '../../../protocol/src/rpc-client';
import type { McpServerConfig } from '../../../protocol/src/methods/mcp';
import type { PluginCandidate } from '../../../protocol/src/methods/plugins';
import { assets } from '../../../protocol/src/node/assets';
import { loadManaged } from '../../../core/src/config/managed';
import { prepareTaskTools } from '../../../cli/src/mcp/prepare';
import { writeServers } from '../../../core/src/mcp/servers-file';

describe('prepareTaskTools (MCP servers and plugins sent before a task)', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-prepare-'));
    env = { HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), GH_TOKEN: 'tok-123' };
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  const fakeKernel = (failMcp?: string) => {
    const sent: Record<string, unknown> = {};
    const client = {
      async request(method: string, params: Record<string, unknown>) {
        sent[method] = params;
        if (method === 'mcp/configure') {
          if (failMcp) throw new Error(failMcp);
          return {
            servers: (params.servers as McpServerConfig[]).map((s) => ({ name: s.name, state: 'ready', tools: [`mcp.${s.name}.t`] })),
          };
        }
        if (method === 'plugins/configure') {
          return {
            plugins: (params.plugins as PluginCandidate[]).map((c) => ({
              name: path.basename(c.dir),
              source: c.source,
              state: 'ready',
              sha256: c.sha256,
              tools: [`plugin.${path.basename(c.dir)}.x`],
            })),
          };
        }
        throw new Error(`unexpected ${method}`);
      },
    };
    return { sent, client: client as unknown as IKernelClient };
  };

  it('sends the configured servers (secrets from the environment) and the plugins found, built-ins included', async () => {
    writeServers(env, {
      github: { command: 'node', args: ['s.js'], secrets: ['GH_TOKEN'] },
      other: { command: 'x', args: [], secrets: ['MISSING_VAR'] },
    });
    const k = fakeKernel();
    const errs: string[] = [];
    const tools = await prepareTaskTools(
      k.client,
      home,
      { env, err: (l) => errs.push(l) },
      { keychain: () => undefined, managed: () => loadManaged([]) },
    );
    const servers = (k.sent['mcp/configure'] as { servers: McpServerConfig[] }).servers;
    assert.deepEqual(
      servers.map((s) => [s.name, s.env]),
      [['github', { GH_TOKEN: 'tok-123' }]],
      'a server missing its secret is not sent',
    );
    assert.ok(
      errs.some((l) => /MCP server other not started: set MISSING_VAR/.test(l)),
      errs.join('\n'),
    );
    const plugins = (k.sent['plugins/configure'] as { plugins: PluginCandidate[] }).plugins;
    assert.deepEqual(
      plugins.filter((p) => p.source === 'builtin').map((p) => p.dir),
      ['git-tool', 'test-tool'].map((n) => path.join(assets().builtinPluginsDir, n)),
    );
    assert.ok(tools.includes('mcp.github.t') && tools.includes('plugin.git-tool.x'), tools.join(', '));
  });

  it("managed settings' allowed servers decide which are sent", async () => {
    writeServers(env, { github: { command: 'node', args: [], secrets: [] }, rogue: { command: 'node', args: [], secrets: [] } });
    const k = fakeKernel();
    const errs: string[] = [];
    const managed = { ...loadManaged([]), allow: { 'mcp.servers': ['github'] } };
    await prepareTaskTools(k.client, home, { env, err: (l) => errs.push(l) }, { keychain: () => undefined, managed: () => managed });
    assert.deepEqual(
      (k.sent['mcp/configure'] as { servers: McpServerConfig[] }).servers.map((s) => s.name),
      ['github'],
    );
    assert.ok(
      errs.some((l) => /MCP server rogue not started/.test(l)),
      errs.join('\n'),
    );
  });

  it('a kernel that refuses the servers is reported; the plugins are still sent and the task goes on', async () => {
    const k = fakeKernel('this kernel has no container engine');
    const errs: string[] = [];
    await prepareTaskTools(
      k.client,
      home,
      { env, err: (l) => errs.push(l) },
      { keychain: () => undefined, managed: () => loadManaged([]) },
    );
    assert.deepEqual((k.sent['mcp/configure'] as { servers: unknown[] }).servers, [], 'no servers: the kernel stops any it ran');
    assert.ok(
      errs.some((l) => /MCP servers not started: this kernel has no container engine/.test(l)),
      errs.join('\n'),
    );
    assert.ok(k.sent['plugins/configure']);
  });

  it('on a remote engine nothing is sent (files on this machine cannot be mounted there), and it says so', async () => {
    writeServers(env, { github: { command: 'node', args: ['s.js'], secrets: ['GH_TOKEN'] } });
    const k = fakeKernel();
    const errs: string[] = [];
    const tools = await prepareTaskTools(
      k.client,
      home,
      { env, err: (l) => errs.push(l) },
      { keychain: () => undefined, managed: () => loadManaged([]), remote: true },
    );
    assert.deepEqual(tools, []);
    assert.deepEqual(Object.keys(k.sent), []);
    assert.ok(
      errs.some((l) => /not started on a remote engine/.test(l)),
      errs.join('\n'),
    );
  });
});
