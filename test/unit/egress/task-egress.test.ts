// A task's sandboxes and its person: an `ask` connection becomes an approval-request event answered like a tool call;
// code-executor gets the proxy (with network sockets) only when the task's policy allows net.connect somewhere.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TaskEvent } from '../../../protocol/src/agent';
import { taskEgressApprover } from '../../../kernel/src/agent/task-egress';
import { EgressProxy } from '../../../kernel/src/egress/proxy';
import { grantsHosts, withEgress } from '../../../kernel/src/egress/grant';
import { loadTemplates } from '../../../core/src/templates';
import { createDefaultPolicyEngine } from '../../../core/src/policy/defaults';
import { helloServer, MemoryAudit, rawExchange, testPolicy, testResolver } from './fixture';

describe('egress for a task', function () {
  it("asks the task's person: an approval-request event, their answer decides, a session grant skips the next question", async () => {
    const hello = await helloServer();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-task-egress-'));
    const audit = new MemoryAudit();
    const events: TaskEvent[] = [];
    const granted = new Set<string>();
    let answer: 'allow' | 'deny' = 'allow';
    const approve = taskEgressApprover({
      emit: (e) => events.push(e),
      signal: new AbortController().signal,
      granted: (r) => granted.has(r),
      ask: async (req) => {
        assert.equal(req.tool, 'net.connect');
        return { answer };
      },
    });
    const proxy = new EgressProxy({ policy: testPolicy(), audit: audit.source, dir, resolve: testResolver });
    const ep = await proxy.listen({ sandbox: 'sbx-t', task: 'task-a', subject: { kind: 'agent', id: 'task-a', tags: [] }, approve });
    const get = () => rawExchange(ep.socketPath, `GET http://ask.test:${hello.port}/x HTTP/1.1\r\nHost: ask.test:${hello.port}\r\n\r\n`);
    try {
      assert.match(await get(), /^HTTP\/1\.1 200/);
      assert.equal(events.length, 1);
      const e = events[0] as Extract<TaskEvent, { type: 'approval-request' }>;
      assert.equal(e.type, 'approval-request');
      assert.equal(e.call.name, 'net.connect');
      assert.equal(JSON.parse(e.call.arguments).resource, `ask.test:${hello.port}`);
      answer = 'deny';
      assert.match(await get(), /^HTTP\/1\.1 403[^]*declined/);
      granted.add(`ask.test:${hello.port}`);
      assert.match(await get(), /^HTTP\/1\.1 200/);
      assert.equal(events.length, 2, 'a granted host is not asked again');
      const rec = audit.of('net.connect');
      assert.deepEqual(
        rec.map((x) => [x.decision, (x.payload as { policy: string }).policy, (x.payload as { answer: string }).answer]),
        [
          ['allow', 'ask', 'allow'],
          ['deny', 'ask', 'deny'],
          ['allow', 'ask', 'allow'],
        ],
      );
    } finally {
      await proxy.dispose();
      hello.server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a stopped task answers no more: the question is refused', async () => {
    const stop = new AbortController();
    const approve = taskEgressApprover({
      emit: () => undefined,
      signal: stop.signal,
      granted: () => false,
      ask: (_q, sig) => new Promise((_r, reject) => sig.addEventListener('abort', () => reject(sig.reason))),
    });
    const p = approve({ requestId: 'appr_1', tool: 'net.connect', input: { resource: 'x:1' }, reason: 'r' }, new AbortController().signal);
    stop.abort(new Error('stopped'));
    await assert.rejects(p, /stopped/);
  });

  it('code-executor gets the proxy and standard-net only when the policy allows net.connect somewhere for the task', () => {
    const all = loadTemplates(undefined, '1000:1000');
    const ce = all.get('code-executor')!;
    assert.equal(withEgress(ce, undefined), ce);
    const on = withEgress(ce, 'proxy');
    assert.equal(on.egress, 'proxy');
    assert.equal(on.seccomp, 'standard-net');
    assert.equal(ce.seccomp, 'standard', 'the shipped template is untouched');
    assert.throws(() => withEgress(all.get('ai-provider')!, 'proxy'), /cannot be put behind the proxy/);
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-ws-'));
    try {
      const explore = createDefaultPolicyEngine('explore', { workspace: ws });
      const strict = createDefaultPolicyEngine('strict', { workspace: ws });
      assert.equal(grantsHosts(explore, 'task_1', 'explore'), true, 'explore allows the package registries');
      assert.equal(grantsHosts(strict, 'task_1', 'strict'), false, 'strict denies every host');
      assert.equal(grantsHosts(testPolicy(), 'task_1', 'explore'), true);
      explore.dispose();
      strict.dispose();
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });
});
