// Tool plugins through the real kernel and Docker: the example plugin (examples/plugins/hello, built with the SDK)
// installed from a folder, verified, approved at its content hash, started in its own tool-plugin sandbox and used by
// a replayed task (a call, a workspace read, a proposed file that lands in the patch set); a plugin asking for a host
// the policy does not allow it is refused with the reason; a plugin whose content changed waits for approval again.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TaskEvent, ToolResult } from '../../../protocol/src/agent';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import type { PluginCandidate } from '../../../protocol/src/methods/plugins';
import { KernelSupervisor } from '../../../bootstrap';
import { contentHash } from '../../../core/src/mcp/content-hash';
import { argumentsDigest } from '../../../kernel/src/mcp/tools';
import { call, fin, removeKernel, runTask, sampleWorkspace, text, writeReplay } from '../agent/helpers';
import { buildPlugin, HELLO_DIR } from '../../unit/plugins/example';

describe("tool plugins in sandboxes (the SDK's example plugin, replay task, Docker)", function () {
  this.timeout(600_000);
  let sup: KernelSupervisor;
  let client: RpcClient;
  let base: string;
  let workspace: string;
  let hello: PluginCandidate;
  let netty: PluginCandidate;

  const candidate = (dir: string, approved?: string): PluginCandidate => ({
    source: 'user',
    dir,
    manifest: JSON.parse(fs.readFileSync(path.join(dir, 'airlock-plugin.json'), 'utf8')),
    sha256: contentHash(dir),
    ...(approved ? { approved } : {}),
  });

  before(async () => {
    ({ base, workspace } = sampleWorkspace());
    fs.chmodSync(base, 0o755);
    const dir = await buildPlugin(HELLO_DIR, path.join(base, 'plugins', 'hello'));
    fs.chmodSync(path.dirname(dir), 0o755);
    // The same program, but its manifest asks for a host no policy rule gives it.
    const nettyDir = await buildPlugin(HELLO_DIR, path.join(base, 'plugins', 'netty'), (m) => ({
      ...m,
      name: 'netty',
      capabilities: { ...(m.capabilities as object), network: ['example.com:443'] },
    }));
    hello = candidate(dir);
    netty = candidate(nettyDir);
    sup = await KernelSupervisor.start({ workspace, stateRoot: path.join(base, 'state'), runtime: 'docker', maxRestarts: 2 });
    client = await sup.ready();
  });

  after(async () => {
    if (sup) await removeKernel(sup);
    fs.rmSync(base, { recursive: true, force: true });
  });

  const results = (events: TaskEvent[]) => events.flatMap((e) => (e.type === 'tool-result' ? [e.result] : []));
  const byId = (events: TaskEvent[], id: string) => results(events).find((r: ToolResult) => r.toolCallId === id)!;

  it('verifies a plugin from a folder and waits for approval; refuses one asking for more than the policy allows', async () => {
    const { plugins } = await client.request('plugins/configure', { plugins: [hello, netty] }, { timeoutMs: 120_000 });
    const h = plugins.find((p) => p.name === 'hello')!;
    assert.equal(h.state, 'verified', h.reason);
    assert.match(h.reason ?? '', /waiting for approval/);
    assert.deepEqual(h.tools, []);
    assert.deepEqual(h.capabilities, { reads: ['**'], writes: true, exec: [], network: [] });
    const n = plugins.find((p) => p.name === 'netty')!;
    assert.equal(n.state, 'failed');
    assert.match(n.reason ?? '', /refused: it asks for network example\.com:443, which the policy denies/);
    await assert.rejects(client.request('plugins/approve', { name: 'netty', sha256: netty.sha256 }), /PLUGIN_NOT_VERIFIED|is failed/);
    const refused = (await client.request('audit/query', { resource: 'plugin:netty', action: 'plugin.failed', limit: 5, payloads: true }))
      .entries;
    assert.equal(refused.length, 1);
  });

  it('approval pins the content hash, the plugin starts in its own sandbox and every transition is audited', async () => {
    await assert.rejects(client.request('plugins/approve', { name: 'hello', sha256: 'a'.repeat(64) }), /PLUGIN_HASH_MISMATCH|not a{12}/);
    const { plugin } = await client.request('plugins/approve', { name: 'hello', sha256: hello.sha256 }, { timeoutMs: 300_000 });
    assert.equal(plugin.state, 'ready', plugin.reason);
    assert.equal(plugin.approved, hello.sha256);
    assert.deepEqual(plugin.tools, ['plugin.hello.greet', 'plugin.hello.count-lines', 'plugin.hello.note']);
    assert.match(plugin.sandbox ?? '', /^sbx-/);
    const { entries } = await client.request('audit/query', { resource: 'plugin:hello', order: 'asc', limit: 50, payloads: true });
    const moves = entries.filter((e) => e.action.startsWith('plugin.') && e.action !== 'plugin.process.start').map((e) => e.action);
    assert.deepEqual(moves, ['plugin.discovered', 'plugin.verified', 'plugin.approved', 'plugin.starting', 'plugin.ready']);
    assert.equal((entries.find((e) => e.action === 'plugin.approved')!.payload as { sha256?: string }).sha256, hello.sha256);
    const sb = (await client.request('sandbox/list', {})).sandboxes.find((s) => s.id === plugin.sandbox)!;
    assert.equal(sb.template, 'tool-plugin-reader');
  });

  it('a replayed task uses its tools through the policy and audit: a call, a workspace read, a file proposed as a patch', async () => {
    writeReplay(workspace, 'plugin-calls', [
      [text('Greet, count, note.'), ...call(0, 'p1', 'plugin.hello.greet', { name: 'Ada' }), fin('tool-calls')],
      [...call(0, 'p2', 'plugin.hello.count-lines', { path: 'package.json' }), fin('tool-calls')],
      [...call(0, 'p3', 'plugin.hello.note', { text: 'from the plugin' }), fin('tool-calls')],
      [...call(0, 'p4', 'plugin.hello.greet', { name: 7 }), fin('tool-calls')],
      [text('Done.'), fin('stop')],
    ]);
    const run = await runTask(client, { prompt: 'use the hello plugin', replay: '.replays/plugin-calls.jsonl', mode: 'explore' });
    const end = await run.finished;
    assert.equal(end.status, 'completed', end.message);
    assert.equal(byId(run.events, 'p1').content, 'Hello, Ada! (from the hello plugin)');
    const lines = fs.readFileSync(path.join(workspace, 'package.json'), 'utf8').trimEnd().split('\n').length;
    assert.match(byId(run.events, 'p2').content, new RegExp(`package\\.json has ${lines} lines`));
    assert.match(byId(run.events, 'p3').content, /proposed for review: NOTES\.md/);
    const bad = byId(run.events, 'p4');
    assert.equal(bad.ok, false);
    assert.match(bad.content, /invalid input for greet/);
    assert.ok(!fs.existsSync(path.join(workspace, 'NOTES.md')), 'the workspace is never written by a plugin');
    assert.equal(run.ready.length, 1);
    const { set } = await client.request('review/show', { id: run.ready[0].setId });
    assert.deepEqual(
      set.files.map((f) => `${f.type} ${f.path}`),
      ['add NOTES.md'],
    );
    const decisions = (
      await client.request('audit/query', { session: run.taskId, action: 'tool.decision', order: 'asc', limit: 20, payloads: true })
    ).entries;
    const p1 = decisions.find((e) => (e.payload as { callId?: string }).callId === 'p1')!;
    assert.equal(p1.decision, 'allow');
    assert.equal(p1.resource, 'plugin.hello.greet');
    assert.equal((p1.payload as { argumentsSha256?: string }).argumentsSha256, argumentsDigest({ name: 'Ada' }));
    assert.equal((p1.payload as { pluginSha256?: string }).pluginSha256, hello.sha256);
    const write = (await client.request('audit/query', { session: run.taskId, action: 'plugin.write', limit: 5, payloads: true })).entries;
    assert.deepEqual(
      write.map((e) => [e.resource, e.decision]),
      [['NOTES.md', 'allow']],
    );
    const logs = (await client.request('plugins/logs', { name: 'hello' })).lines;
    assert.ok(
      logs.some((l) => /starting → ready/.test(l)),
      logs.join('\n'),
    );
    assert.ok(
      logs.some((l) => /stderr: info count-lines: counting package\.json/.test(l)),
      logs.join('\n'),
    );
  });

  it('a plugin whose content changed since approval waits to be approved again; removing one stops it', async () => {
    fs.appendFileSync(path.join(hello.dir, 'dist', 'index.js'), '\n// changed\n');
    const changed = candidate(hello.dir, hello.sha256);
    assert.notEqual(changed.sha256, hello.sha256);
    const { plugins } = await client.request('plugins/configure', { plugins: [changed] }, { timeoutMs: 120_000 });
    assert.deepEqual(
      plugins.map((p) => [p.name, p.state]),
      [['hello', 'verified']],
    );
    assert.match(plugins[0].reason ?? '', /changed since it was approved/);
    assert.equal((await client.request('plugins/remove', { name: 'hello' })).removed, true);
    assert.deepEqual((await client.request('plugins/list', {})).plugins, []);
  });
});
