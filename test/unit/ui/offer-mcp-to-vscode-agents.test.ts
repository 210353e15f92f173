// The extension offers Airlock's MCP server to VS Code's own agents only where VS Code has the MCP API (1.101+), only in
// trusted workspaces and while airlock.mcp.offerToVsCodeAgents is on; the definition runs the shipped dist/mcp-serve.js
// with VS Code's own runtime as Node, on the chosen folder.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Emitter, toDisposable } from '../../../protocol/src/lifecycle';
import { MCP_PROVIDER_ID, offerToVsCodeAgents, type McpDefinitionProvider, type McpHost } from '../../../extension/src/mcp/offerToAgents';

/** Stands in for vscode.McpStdioServerDefinition: keeps what it was constructed with. */
class FakeStdioDefinition {
  constructor(
    readonly label: string,
    readonly command: string,
    readonly args?: string[],
    readonly env?: Record<string, string | number | null>,
    readonly version?: string,
  ) {}
}

function fakeHost(o: { api?: boolean; trusted?: boolean } = {}) {
  const registered: { id: string; provider: McpDefinitionProvider<FakeStdioDefinition>; disposed: boolean }[] = [];
  const settings = new Emitter<void>();
  const state = { trusted: o.trusted ?? true, enabled: true, runtime: 'auto', mode: undefined as string | undefined };
  const host: McpHost<FakeStdioDefinition> = {
    register:
      o.api === false
        ? undefined
        : (id, provider) => {
            const r = { id, provider, disposed: false };
            registered.push(r);
            return toDisposable(() => {
              r.disposed = true;
            });
          },
    StdioDefinition: o.api === false ? undefined : FakeStdioDefinition,
    isTrusted: () => state.trusted,
    enabled: () => state.enabled,
    runtime: () => state.runtime,
    mode: () => state.mode,
    onDidChangeSettings: settings.event,
    execPath: '/opt/VSCode/code',
    extensionPath: '/home/me/.vscode/extensions/airlock.airlock-1.2.3',
    version: '1.2.3',
  };
  return { host, registered, settings, state };
}

const log = {
  lines: [] as string[],
  info(l: string) {
    this.lines.push(l);
  },
  warn(l: string) {
    this.lines.push(`warn ${l}`);
  },
};

describe("Airlock offered to VS Code's agents as an MCP server", () => {
  it("registers the declared provider; its definition runs dist/mcp-serve.js with VS Code's runtime as Node on the folder", () => {
    const f = fakeHost();
    const d = offerToVsCodeAgents(f.host, '/work/project', log);
    assert.equal(f.registered.length, 1);
    assert.equal(f.registered[0]!.id, MCP_PROVIDER_ID);
    const defs = f.registered[0]!.provider.provideMcpServerDefinitions();
    assert.equal(defs.length, 1);
    const def = defs[0]!;
    assert.ok(def instanceof FakeStdioDefinition);
    assert.equal(def.label, 'Airlock');
    assert.equal(def.command, '/opt/VSCode/code');
    const script = path.join('/home/me/.vscode/extensions/airlock.airlock-1.2.3', 'dist', 'mcp-serve.js');
    assert.deepEqual(def.args, [script, '--workspace', '/work/project', '--mode', 'explore']);
    assert.deepEqual(def.env, { ELECTRON_RUN_AS_NODE: '1' });
    assert.equal(def.version, '1.2.3');
    d.dispose();
    assert.equal(f.registered[0]!.disposed, true, 'disposing the folder scope unregisters the provider');
  });

  it('the program reaches the kernel on the engine the window uses (airlock.containerRuntime), in airlock.defaultMode', () => {
    const f = fakeHost();
    f.state.runtime = 'podman';
    f.state.mode = 'explore';
    offerToVsCodeAgents(f.host, '/work/project', log);
    const def = f.registered[0]!.provider.provideMcpServerDefinitions()[0]!;
    assert.deepEqual(def.env, { ELECTRON_RUN_AS_NODE: '1', AIRLOCK_RUNTIME: 'podman' });
    assert.deepEqual(def.args?.slice(1), ['--workspace', '/work/project', '--mode', 'explore']);
    f.state.mode = 'strict'; // the person chose strict: theirs
    assert.deepEqual(f.registered[0]!.provider.provideMcpServerDefinitions()[0]!.args?.slice(1), [
      '--workspace',
      '/work/project',
      '--mode',
      'strict',
    ]);
    // Unset or not a mode: explore, never strict's default (a session without tests would close without a patch set).
    for (const m of [undefined, 'yolo']) {
      f.state.mode = m;
      assert.deepEqual(f.registered[0]!.provider.provideMcpServerDefinitions()[0]!.args?.slice(1), [
        '--workspace',
        '/work/project',
        '--mode',
        'explore',
      ]);
    }
  });

  it('registers nothing where VS Code has no MCP API (code-server 1.100), and says so in the log', () => {
    const f = fakeHost({ api: false });
    log.lines = [];
    offerToVsCodeAgents(f.host, '/work/project', log);
    assert.equal(f.registered.length, 0);
    assert.match(log.lines.join('\n'), /no MCP server API/);
  });

  it('offers nothing in an untrusted workspace, nor once trust is gone', () => {
    const untrusted = fakeHost({ trusted: false });
    offerToVsCodeAgents(untrusted.host, '/work/project', log);
    assert.equal(untrusted.registered.length, 0);
    const f = fakeHost();
    offerToVsCodeAgents(f.host, '/work/project', log);
    f.state.trusted = false;
    assert.deepEqual(f.registered[0]!.provider.provideMcpServerDefinitions(), []);
  });

  it('the setting turns the server off and on without a reload: VS Code is told the definitions changed', () => {
    const f = fakeHost();
    offerToVsCodeAgents(f.host, '/work/project', log);
    const provider = f.registered[0]!.provider;
    let changes = 0;
    provider.onDidChangeMcpServerDefinitions(() => {
      changes++;
    });
    f.state.enabled = false;
    f.settings.fire();
    assert.equal(changes, 1);
    assert.deepEqual(provider.provideMcpServerDefinitions(), []);
    f.state.enabled = true;
    f.settings.fire();
    assert.equal(changes, 2);
    assert.equal(provider.provideMcpServerDefinitions().length, 1);
  });

  it('a host that refuses the registration (an undeclared id, a proposal) is logged, not thrown into activation', () => {
    const f = fakeHost();
    f.host.register = () => {
      throw new Error('provider airlock.mcpServer is not declared');
    };
    log.lines = [];
    assert.doesNotThrow(() => offerToVsCodeAgents(f.host, '/work/project', log));
    assert.match(log.lines.join('\n'), /warn could not offer[^]*not declared/);
  });

  it('package.json declares the provider id and the setting (default on, user settings only)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pkg = require('../../../package.json') as {
      contributes: {
        mcpServerDefinitionProviders: { id: string }[];
        configuration: { properties: Record<string, { default?: unknown; scope?: string }> };
      };
    };
    assert.deepEqual(
      pkg.contributes.mcpServerDefinitionProviders.map((p) => p.id),
      [MCP_PROVIDER_ID],
    );
    const setting = pkg.contributes.configuration.properties['airlock.mcp.offerToVsCodeAgents'];
    assert.equal(setting?.default, true);
    assert.equal(setting?.scope, 'machine');
  });
});
