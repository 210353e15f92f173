// Tool router: schema validation, policy allow/ask/deny, audit trail, sanitised + truncated results, parallel limits.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import type { TaskEvent } from '../../../protocol/src/agent';
import type { AgentAuditEntry, IPolicy, ToolPolicyRequest } from '../../../kernel/src/agent/interfaces';
import { ToolRouter } from '../../../kernel/src/agent/router';
import { Sanitiser } from '../../../kernel/src/agent/sanitise';
import { BpeCounter } from '../../../kernel/src/agent/tokens';
import { nativeTools } from '../../../kernel/src/agent/tools/native';
import { defineTool, type ToolSpec } from '../../../kernel/src/agent/tools/types';

const byTool = (rules: Record<string, 'allow' | 'ask' | 'deny'>): IPolicy & { seen: ToolPolicyRequest[] } => {
  const seen: ToolPolicyRequest[] = [];
  return {
    seen,
    evaluate: (r) => {
      seen.push(r);
      const d = rules[r.tool] ?? 'deny';
      return { decision: d, matched: `rule:${r.tool}`, reason: `${r.tool} is ${d}` };
    },
  };
};

describe('agent tool router', () => {
  let ws: string;
  const audit: Array<{ entry: AgentAuditEntry; sync: boolean }> = [];
  const sig = () => new AbortController().signal;
  before(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-router-'));
    fs.writeFileSync(path.join(ws, 'a.txt'), 'hello\nkey=sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX123\n\u001b[31mred\u001b[0m\n');
    fs.writeFileSync(path.join(ws, 'big.txt'), Array.from({ length: 20000 }, (_, i) => `row ${i}`).join('\n'));
  });
  after(() => fs.rmSync(ws, { recursive: true, force: true }));
  beforeEach(() => {
    audit.length = 0;
  });

  const make = (policy: IPolicy, extra: Partial<ConstructorParameters<typeof ToolRouter>[1]> = {}, tools: ToolSpec[] = nativeTools) =>
    new ToolRouter(tools, {
      policy,
      audit: {
        append: (entry, o) => {
          audit.push({ entry, sync: o.sync });
        },
      },
      sanitiser: new Sanitiser(),
      counter: new BpeCounter('o200k_base'),
      ...extra,
    });
  const rc = () => ({ workspace: ws, taskId: 'task_r' });

  it('publishes JSON-schema definitions generated from zod', () => {
    const defs = make(byTool({})).definitions();
    const read = defs.find((d) => d.name === 'fs.read')!;
    assert.equal((read.inputSchema as any).type, 'object');
    assert.deepEqual((read.inputSchema as any).required, ['path']);
    assert.deepEqual(read.capabilities, ['fs.read']);
  });

  it('allow: runs the tool, passes paths to policy, sanitises the result, audits decision (sync) and result', async () => {
    const policy = byTool({ 'fs.read': 'allow' });
    const r = await make(policy).call({ id: 'c1', name: 'fs.read', arguments: '{"path":"a.txt"}' }, rc(), sig());
    assert.ok(r.ok);
    assert.equal(r.content, '1\thello\n2\tkey=[REDACTED:openai-key]\n3\tred\n4\t\n');
    assert.deepEqual(policy.seen[0].paths, ['a.txt']);
    assert.deepEqual(policy.seen[0].capabilities, ['fs.read']);
    assert.deepEqual(
      audit.map((a) => [a.entry.kind, a.sync]),
      [
        ['tool.decision', true],
        ['tool.result', false],
      ],
    );
    assert.equal(audit[0].entry.payload.decision, 'allow');
    assert.equal(audit[0].entry.payload.matched, 'rule:fs.read');
  });

  it('deny: the model gets an error result and the tool does not run', async () => {
    let ran = false;
    const spy = defineTool({
      name: 'spy',
      native: true,
      capabilities: ['x'],
      description: 'spy',
      input: z.object({}),
      run: async () => {
        ran = true;
        return { content: 'ran' };
      },
    });
    const r = await make(byTool({ spy: 'deny' }), {}, [spy]).call({ id: 'c2', name: 'spy', arguments: '{}' }, rc(), sig());
    assert.equal(ran, false);
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'POLICY_DENIED');
    assert.match(r.content, /policy denied spy: spy is deny/);
  });

  it('ask: emits an approval request and follows the answer; without an approver it fails closed', async () => {
    const events: TaskEvent[] = [];
    const yes = make(byTool({ 'fs.exists': 'ask' }), { approve: async () => 'allow', onEvent: (e) => events.push(e) });
    assert.ok((await yes.call({ id: 'c3', name: 'fs.exists', arguments: '{"path":"a.txt"}' }, rc(), sig())).ok);
    assert.equal(events[0].type, 'approval-request');
    assert.ok(audit.some((a) => a.entry.kind === 'tool.approval' && a.entry.payload.answer === 'allow' && a.sync));
    const no = make(byTool({ 'fs.exists': 'ask' }), { approve: async () => 'deny' });
    assert.match(
      (await no.call({ id: 'c4', name: 'fs.exists', arguments: '{"path":"a.txt"}' }, rc(), sig())).content,
      /the person declined/,
    );
    const none = make(byTool({ 'fs.exists': 'ask' }));
    assert.equal((await none.call({ id: 'c5', name: 'fs.exists', arguments: '{"path":"a.txt"}' }, rc(), sig())).ok, false);
  });

  it('a throwing policy or audit denies (fail closed)', async () => {
    const r1 = await make({
      evaluate: () => {
        throw new Error('engine down');
      },
    }).call({ id: 'c6', name: 'fs.exists', arguments: '{"path":"a.txt"}' }, rc(), sig());
    assert.match(r1.content, /policy evaluation failed \(engine down\)/);
    const r2 = await new ToolRouter(nativeTools, {
      policy: byTool({ 'fs.exists': 'allow' }),
      audit: {
        append: () => {
          throw new Error('disk full');
        },
      },
      sanitiser: new Sanitiser(),
      counter: new BpeCounter('o200k_base'),
    }).call({ id: 'c7', name: 'fs.exists', arguments: '{"path":"a.txt"}' }, rc(), sig());
    assert.match(r2.content, /audit log could not record the decision \(disk full\)/);
  });

  it('bad JSON, schema violations and unknown tools become error results the model can act on', async () => {
    const r = make(byTool({ 'fs.read': 'allow' }));
    assert.match(
      (await r.call({ id: 'a', name: 'fs.read', arguments: '{"path":' }, rc(), sig())).content,
      /TOOL_BAD_ARGUMENTS: arguments are not valid JSON/,
    );
    assert.match(
      (await r.call({ id: 'b', name: 'fs.read', arguments: '{"path":3}' }, rc(), sig())).content,
      /invalid arguments for fs.read: path:/,
    );
    assert.match(
      (await r.call({ id: 'c', name: 'fs.delete', arguments: '{}' }, rc(), sig())).content,
      /TOOL_UNKNOWN.*\n.*available tools: fs.read/,
    );
    assert.match((await r.call({ id: 'd', name: 'fs.read', arguments: '{"path":"missing.txt"}' }, rc(), sig())).content, /FS_NOT_FOUND/);
  });

  it('truncates large results to the token limit with a note', async () => {
    const r = await make(byTool({ 'fs.read': 'allow' }), { maxResultTokens: 500 }).call(
      { id: 'e', name: 'fs.read', arguments: '{"path":"big.txt"}' },
      rc(),
      sig(),
    );
    assert.ok(r.truncated);
    assert.match(r.content, /Airlock truncated this tool result/);
  });

  it('runs independent calls in parallel up to the limit and serialises writes in model order', async () => {
    let active = 0,
      peak = 0;
    const order: string[] = [];
    const slow = (name: string, native: boolean) =>
      defineTool({
        name,
        native,
        capabilities: ['x'],
        description: name,
        input: z.object({ n: z.number() }),
        run: async (i) => {
          active++;
          peak = Math.max(peak, active);
          order.push(`${name}${i.n}:start`);
          await new Promise((r) => setTimeout(r, 20));
          active--;
          order.push(`${name}${i.n}:end`);
          return { content: String(i.n) };
        },
      });
    const router = make(byTool({ r: 'allow', w: 'allow' }), { concurrency: 3 }, [slow('r', true), slow('w', false)]);
    const calls = [1, 2, 3, 4, 5].map((n) => ({ id: `r${n}`, name: 'r', arguments: `{"n":${n}}` }));
    const t = Date.now();
    const res = await router.callAll(calls, rc(), sig());
    assert.deepEqual(
      res.map((r) => r.content),
      ['1', '2', '3', '4', '5'],
    );
    assert.equal(peak, 3);
    assert.ok(Date.now() - t < 90, 'ran in parallel');
    order.length = 0;
    await router.callAll(
      [
        { id: 'a', name: 'r', arguments: '{"n":1}' },
        { id: 'b', name: 'w', arguments: '{"n":2}' },
        { id: 'c', name: 'r', arguments: '{"n":3}' },
      ],
      rc(),
      sig(),
    );
    assert.deepEqual(order, ['r1:start', 'r1:end', 'w2:start', 'w2:end', 'r3:start', 'r3:end']);
  });
});
