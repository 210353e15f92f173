// The router's policy adapter against the real policy engine with the shipped default policies, on a real temp workspace.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { toolPolicy } from '../../../kernel/src/agent/adapters';
import type { ToolPolicyRequest } from '../../../kernel/src/agent/interfaces';
import { createDefaultPolicyEngine } from '../../../core/src/policy';

describe('agent adapters: policy engine', () => {
  it('maps tool calls to engine requests (with sizes); the strictest decision wins', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-adapt-'));
    fs.mkdirSync(path.join(ws, 'src'));
    fs.writeFileSync(path.join(ws, 'src/a.ts'), 'x');
    fs.writeFileSync(path.join(ws, '.env'), 'K=v');
    const engine = createDefaultPolicyEngine('strict', { workspace: ws });
    try {
      const p = toolPolicy(engine, { mode: 'strict', workspace: ws });
      const req = (over: Partial<ToolPolicyRequest>): ToolPolicyRequest => ({
        kind: 'tool',
        taskId: 'task_a',
        tool: 'fs.read',
        capabilities: ['fs.read'],
        input: {},
        paths: [],
        ...over,
      });
      assert.equal((await p.evaluate(req({ paths: ['src/a.ts'] }))).decision, 'allow');
      const secret = await p.evaluate(req({ paths: ['src/a.ts', '.env'] }));
      assert.equal(secret.decision, 'deny');
      assert.match(secret.matched ?? '', /secrets/);
      assert.equal(
        (await p.evaluate(req({ tool: 'fs.write', capabilities: ['fs.write'], paths: ['src/a.ts'], input: { content: 'y' } }))).decision,
        'ask',
      );
      assert.equal((await p.evaluate(req({ tool: 'x', capabilities: [] }))).decision, 'deny');
    } finally {
      engine.dispose();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });
});
