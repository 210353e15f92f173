// policy/evaluate and policy/check over the typed RPC (in-process transport, real handlers, real engine).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RpcClient } from '../../../protocol/src/rpc-client';
import { ServerConnection } from '../../../protocol/src/rpc-server';
import { createInProcessPair } from '../../../protocol/src/transport';
import { DisposableStore } from '../../../protocol/src/lifecycle';
import { EventBus } from '../../../kernel/src/event-bus';
import { createHandlers } from '../../../kernel/src/handlers/registry';
import { createKernelServices } from '../../../kernel/src/main';
import { tempDir, writePolicy } from './helpers';

describe('policy RPC handlers', () => {
  it('evaluates with the kernel engine and reports reloads that fail', async () => {
    const base = tempDir();
    const workspace = path.join(base, 'ws');
    fs.mkdirSync(path.join(workspace, 'src'), { recursive: true });
    const file = writePolicy(
      base,
      `
- { id: read, effect: allow, actions: [fs.read], resources: ["src/**"] }`,
    );
    const config = { workspace, stateDir: path.join(base, 'state'), socketDir: path.join(base, 'run'), inContainer: false };
    const store = new DisposableStore();
    const services = await createKernelServices(config, store, store.add(new EventBus()), { env: { AIRLOCK_POLICY_FILES: file } });
    const { policy } = services;
    assert.ok(fs.existsSync(path.join(base, 'state', 'policy-token.key')));
    const [c, s] = createInProcessPair();
    const conn = new ServerConnection(s, {
      handlers: createHandlers(services),
      kernel: { version: 'test', pid: process.pid, startedAt: 0 },
    });
    const client = new RpcClient(c);
    try {
      await client.handshake({ name: 'test', version: '0' });
      const subject = { kind: 'agent' as const, id: 'a' };
      const d = await client.request('policy/evaluate', { subject, action: 'fs.read', resource: path.join(workspace, 'src/a.ts') });
      assert.equal(d.decision, 'allow', d.reason);
      assert.equal((await client.request('policy/evaluate', { subject, action: 'fs.read', resource: 'src/../../x' })).decision, 'deny');
      assert.deepEqual(await client.request('policy/check', {}), { ok: true, files: [file], rules: policy.ruleCount, problems: [] });
      fs.writeFileSync(file, 'version: 1\nrules: [ { id: read, effect: sure } ]\n');
      const after = await client.request('policy/check', { reload: true });
      assert.equal(after.ok, false);
      assert.match(after.problems[0], /policy\.yaml:2:\d+: /);
      assert.equal(
        (await client.request('policy/evaluate', { subject, action: 'fs.read', resource: 'src/a.ts' })).decision,
        'allow',
        'last good policy kept',
      );
      const updates = await client.request('audit/query', { action: 'policy.update' });
      assert.equal(updates.entries.length, 1, 'the reload was audited');
      assert.equal(updates.entries[0].decision, 'error');
    } finally {
      client.dispose();
      conn.dispose();
      store.dispose();
    }
  });
});
