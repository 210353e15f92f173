// The Plugins view's items from plugins/list answers: lines, icons per state, the actions offered, and details.
import * as assert from 'node:assert/strict';
import { PluginState, PluginStateName } from '../../../protocol/src/methods/plugins';
import {
  capabilityLines,
  describePlugin,
  pluginContext,
  pluginDetails,
  pluginIcon,
  pluginNodes,
} from '../../../extension/src/plugins/pluginItems';

const SHA = 'a'.repeat(64);
const answer = (p: Partial<PluginState> & { name: string }): PluginState =>
  PluginState.parse({ source: 'user', state: 'verified', sha256: SHA, tools: [], ...p });

describe('Plugins view items', () => {
  const ready = answer({
    name: 'hello',
    version: '1.0.0',
    state: 'ready',
    approved: SHA,
    sandbox: 'sbx-1',
    capabilities: { reads: ['**'], writes: true, exec: [], network: [] },
    tools: ['plugin.hello.greet'],
  });
  const waiting = answer({
    name: 'weather',
    version: '0.2.0',
    reason: 'waiting for approval (`airlock plugins approve`)',
    capabilities: { reads: [], writes: false, exec: [], network: ['api.weather.example:443'] },
  });
  const builtin = answer({
    name: 'git-tool',
    source: 'builtin',
    state: 'ready',
    approved: SHA,
    capabilities: { reads: ['**'], writes: false, exec: ['git log *'], network: [] },
  });
  const refused = answer({ name: 'invalid-x', state: 'failed', reason: 'its manifest is invalid: name: required' });

  it('one node per plugin, by name, with the words a person reads', () => {
    assert.deepEqual(
      pluginNodes([waiting, ready, builtin]).map((n) => n.kind === 'plugin' && n.plugin.name),
      ['git-tool', 'hello', 'weather'],
    );
    assert.equal(describePlugin(ready), '1.0.0 · user · ready');
    assert.equal(describePlugin(waiting), '0.2.0 · user · waiting for approval');
    assert.equal(describePlugin(builtin), 'built-in · ready');
  });

  it('approve is offered for a verified plugin, revoke for one the person approved, neither for a built-in', () => {
    assert.equal(pluginContext(waiting), 'airlock.plugin.approvable');
    assert.equal(pluginContext(ready), 'airlock.plugin.revocable');
    assert.equal(pluginContext(builtin), 'airlock.plugin');
    assert.equal(pluginContext(refused), 'airlock.plugin');
    // Content changed since approval: verified again (approvable), and the old approval can be revoked.
    assert.equal(pluginContext(answer({ name: 'x', approved: 'b'.repeat(64) })), 'airlock.plugin.approvable.revocable');
  });

  it('an icon for every lifecycle state; only ready is green', () => {
    for (const state of PluginStateName.options) assert.ok(pluginIcon({ state }).id, state);
    assert.equal(pluginIcon(ready).color, 'testing.iconPassed');
    assert.equal(pluginIcon(refused).id, 'error');
    assert.equal(pluginIcon(waiting).color, 'list.warningForeground');
  });

  it('details: the reason, each capability, the pinned hash, tools and sandbox', () => {
    const labels = (p: PluginState) => pluginDetails(p).map((n) => n.kind === 'detail' && n.label);
    assert.deepEqual(labels(ready), [
      'reads **',
      'writes, as patches for review',
      `sha256 ${SHA.slice(0, 12)}… (approved)`,
      'plugin.hello.greet',
      'sandbox sbx-1',
    ]);
    assert.deepEqual(labels(waiting), [
      'waiting for approval (`airlock plugins approve`)',
      'network api.weather.example:443',
      `sha256 ${SHA.slice(0, 12)}…`,
    ]);
    assert.deepEqual(labels(refused)[1], 'capabilities unknown (its manifest was refused)');
    assert.deepEqual(capabilityLines({ reads: [], writes: false, exec: [], network: [] }), ['no capabilities']);
    const ids = [ready, waiting, builtin, refused].flatMap((p) => pluginDetails(p).map((n) => n.kind === 'detail' && n.id));
    assert.equal(new Set(ids).size, ids.length, 'detail ids are unique across plugins');
  });
});
