// The kernel enforces managed settings whatever client sends the task, and records their digest at every start.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeManaged, loadManaged } from '../../../core/src/config/managed';
import { applyManagedToAudit, applyManagedToTask, managedFromEnv } from '../../../kernel/src/managed';
import { inProcessKernel } from '../kernel-harness';

function managedFrom(yaml: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-managed-'));
  fs.writeFileSync(path.join(dir, 'managed.yaml'), yaml);
  return loadManaged([path.join(dir, 'managed.yaml')]);
}

describe('managed settings in the kernel', () => {
  const m = managedFrom(
    'lock:\n  review.autoMerge: false\nallow:\n  agent.provider: [anthropic, replay]\n  agent.model: ["claude-*"]\n' +
      '  agent.mode: [strict, debug]\nmaximum:\n  budget.maxTurns: 8\n  budget.maxWallMinutes: 2\nminimum:\n  audit.maxAge: 90d\n',
  );

  it('refuses a task/start and a provider/configure that break them over RPC, and records the digest at start', async () => {
    const k = await inProcessKernel({}, { env: { AIRLOCK_MANAGED: encodeManaged(m) } });
    try {
      const refused = async (p: Promise<unknown>, re: RegExp) => {
        await assert.rejects(
          p,
          (e: Error & { code?: string; hint?: string }) =>
            e.code === 'CONFIG_MANAGED_REFUSED' && re.test(e.message) && /airlock config explain/.test(e.hint ?? ''),
        );
      };
      await refused(k.client.request('provider/configure', { provider: 'openai', apiKey: 'sk-x' }), /provider "openai"/);
      await refused(k.client.request('task/start', { prompt: 'x', provider: 'openai' }), /provider "openai" is not allowed/);
      await refused(k.client.request('task/start', { prompt: 'x', provider: 'anthropic', model: 'gpt-5' }), /model "gpt-5"/);
      await refused(k.client.request('task/start', { prompt: 'x', provider: 'anthropic', mode: 'explore' }), /mode "explore"/);
      await refused(
        k.client.request('task/start', { prompt: 'x', provider: 'anthropic', autoMerge: { enabled: true } }),
        /auto-merge true is locked to false/,
      );
      await refused(
        k.client.request('task/start', { prompt: 'x', provider: 'anthropic', budgets: { maxTurns: 50 } }),
        /above the managed maximum 8/,
      );
      const page = await k.client.request('audit/query', { action: 'config.managed', payloads: true });
      assert.equal(page.entries.length, 1);
      assert.equal((page.entries[0]!.payload as { digest: string }).digest, m.digest);
    } finally {
      k.dispose();
    }
  });

  it('fills budgets a managed maximum caps, ignores retention below the minimum, and refuses an unreadable AIRLOCK_MANAGED', () => {
    assert.deepEqual(applyManagedToTask(m, { provider: 'anthropic' as const, budgets: undefined }).budgets, {
      maxTurns: 8,
      maxWallMs: 120_000,
    });
    assert.deepEqual(applyManagedToTask(m, { replay: 'r.jsonl', budgets: { maxTurns: 3 } }).budgets, { maxTurns: 3, maxWallMs: 120_000 });
    assert.equal(applyManagedToAudit(m, { retention: { maxAgeMs: 86_400_000 } }).retention?.maxAgeMs, undefined);
    assert.equal(applyManagedToAudit(m, { retention: { maxAgeMs: 100 * 86_400_000 } }).retention?.maxAgeMs, 100 * 86_400_000);
    assert.throws(() => managedFromEnv({ AIRLOCK_MANAGED: 'bm90IGpzb24=' }), /CONFIG_MANAGED_INVALID|cannot be read/);
    assert.deepEqual(managedFromEnv({}).lock, {});
  });
});
