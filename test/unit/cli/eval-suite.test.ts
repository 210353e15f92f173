// airlock eval's task format: task.yaml validation (defaults, refusals), suite loading, and the success rule per `expect`.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { judge, RunCounter } from '../../../cli/src/eval/run-task';
import { loadSuite, parseTaskYaml } from '../../../cli/src/eval/suite';
import { AirlockError } from '../../../protocol/src/errors';
import { assets } from '../../../protocol/src/node/assets';

const MINIMAL = 'id: fix-it\ntitle: Fix it\nlanguage: javascript\nkind: bug-fix\ncheck: node --test\n';
const refuses = (text: string, re: RegExp, folder?: string) =>
  assert.throws(
    () => parseTaskYaml(text, 'task.yaml', folder),
    (e: unknown) => e instanceof AirlockError && e.code === 'EVAL_BAD_TASK' && re.test(e.message),
  );

describe('airlock eval: task.yaml', () => {
  it('fills the defaults: pass, approvals denied, a 300 s limit and a 120 s check', () => {
    const t = parseTaskYaml(MINIMAL, 'task.yaml', 'fix-it');
    const { expect, approvals, limits, checkTimeoutSeconds, mode } = t;
    assert.deepEqual(
      { expect, approvals, limits, checkTimeoutSeconds, mode },
      { expect: 'pass', approvals: 'deny', limits: { timeoutSeconds: 300 }, checkTimeoutSeconds: 120, mode: undefined },
    );
  });

  it('refuses unknown fields, a bad kind or expect, a missing check, and an id that is not its folder name', () => {
    refuses(`${MINIMAL}hint: the check runs node --test\n`, /hint|Unrecognized/);
    refuses(MINIMAL.replace('bug-fix', 'rewrite'), /kind/);
    refuses(`${MINIMAL}expect: maybe\n`, /expect/);
    refuses(MINIMAL.replace('check: node --test\n', ''), /check/);
    refuses(`${MINIMAL}limits: { timeoutSeconds: 0 }\n`, /limits\.timeoutSeconds/);
    refuses(MINIMAL.replace('fix-it', 'Fix It'), /id/);
    refuses(MINIMAL, /differs from its folder name other/, 'other');
    refuses('id: [unclosed', /not YAML/);
  });

  it('loads every task of the starter suite: at least 12, JavaScript and Python, every kind, each with a replay', () => {
    const tasks = loadSuite(path.join(assets().examplesDir, 'eval', 'starter'));
    assert.ok(tasks.length >= 12, `${tasks.length} tasks`);
    assert.deepEqual(new Set(tasks.map((t) => t.task.language)), new Set(['javascript', 'python']));
    for (const k of ['bug-fix', 'add-test', 'refactor', 'build-fix', 'denied-action'])
      assert.ok(
        tasks.some((t) => t.task.kind === k),
        k,
      );
    for (const t of tasks) {
      assert.ok(t.replay, `${t.task.id} has a replay`);
      assert.ok(t.prompt.length > 20, `${t.task.id} has a prompt`);
      // The check is hidden: nothing in repo/ or task.md names it.
      assert.ok(!t.prompt.includes(t.task.check.trim().split('\n').at(-1)!), `${t.task.id}: task.md does not reveal the check`);
    }
    assert.ok(tasks.some((t) => t.task.kind === 'denied-action' && t.task.expect === 'stop'));
  });

  it('refuses a suite without tasks, an unknown --task and a task folder without repo/', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-eval-suite-'));
    try {
      assert.throws(() => loadSuite(dir), /holds no task/);
      fs.mkdirSync(path.join(dir, 'fix-it'));
      fs.writeFileSync(path.join(dir, 'fix-it', 'task.yaml'), MINIMAL);
      fs.writeFileSync(path.join(dir, 'fix-it', 'task.md'), 'Fix the bug in src/a.js.\n');
      assert.throws(() => loadSuite(dir), /repo\/ is missing/);
      fs.mkdirSync(path.join(dir, 'fix-it', 'repo'));
      assert.equal(loadSuite(dir)[0]!.replay, undefined);
      assert.throws(() => loadSuite(dir, ['nope']), /no task nope/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('airlock eval: success and counting', () => {
  const check = (exitCode: number | null, timedOut = false) => ({ exitCode, timedOut, output: '' });
  it('pass needs the check to exit 0 (a timeout is a failure, whatever the task status)', () => {
    assert.equal(judge('pass', 'completed', check(0)), true);
    assert.equal(judge('pass', 'completed', check(1)), false);
    assert.equal(judge('pass', 'failed', check(0)), true);
    assert.equal(judge('pass', 'completed', check(0, true)), false);
    assert.equal(judge('pass', 'error', null), false);
  });
  it('stop needs the check too, and a run that ended on its own; fail needs the task not to complete', () => {
    assert.equal(judge('stop', 'completed', check(0)), true);
    assert.equal(judge('stop', 'completed', check(1)), false);
    assert.equal(judge('stop', 'cancelled', check(0)), false);
    assert.equal(judge('fail', 'completed', check(0)), false);
    assert.equal(judge('fail', 'budget-exceeded', check(0)), true);
    assert.equal(judge('fail', 'failed', check(1)), false);
  });
  it('counts a declined ask that is no tool call (a connection) as a denial, once; not when approvals are allowed', () => {
    const call = { id: 'c1', name: 'exec', arguments: '{}' };
    const net = { id: 'egress-1', name: 'net.connect', arguments: '{"host":"example.com","port":443}' };
    const denied = {
      toolCallId: 'c1',
      name: 'exec',
      ok: false,
      content: 'no',
      truncated: false,
      error: { code: 'POLICY_DENIED', message: 'no' },
    };
    const events = [
      { type: 'tool-call', call },
      { type: 'approval-request', requestId: 'r1', call, reason: 'ask' },
      { type: 'tool-result', result: denied },
      { type: 'approval-request', requestId: 'r2', call: net, reason: 'ask' },
    ] as const;
    const declined = new RunCounter(true);
    const allowed = new RunCounter(false);
    for (const e of events) {
      declined.add(e);
      allowed.add(e);
    }
    assert.deepEqual([declined.approvalsAsked, declined.denials], [2, 2], 'the exec ask is counted by its POLICY_DENIED result');
    assert.deepEqual([allowed.approvalsAsked, allowed.denials], [2, 1]);
  });

  it('counts tokens per turn, tool calls, POLICY_DENIED results and approvals asked', () => {
    const c = new RunCounter();
    const call = { id: 'c1', name: 'fs.read', arguments: '{}' };
    c.add({ type: 'usage', usage: { inputTokens: 100, outputTokens: 10 }, totalTokens: 110, costUsd: 0 });
    c.add({ type: 'usage', usage: { inputTokens: 200, outputTokens: 20 }, totalTokens: 330, costUsd: 0.5 });
    c.add({ type: 'tool-call', call });
    c.add({ type: 'tool-call', call });
    c.add({ type: 'approval-request', requestId: 'r1', call, reason: 'ask' });
    const failed = (code: string) => ({
      toolCallId: 'c1',
      name: 'fs.read',
      ok: false,
      content: 'no',
      truncated: false,
      error: { code, message: 'no' },
    });
    c.add({ type: 'tool-result', result: failed('POLICY_DENIED') });
    c.add({ type: 'tool-result', result: failed('NOT_FOUND') });
    const { tokensIn, tokensOut, costUsd, toolCalls, denials, approvalsAsked } = c;
    assert.deepEqual(
      { tokensIn, tokensOut, costUsd, toolCalls, denials, approvalsAsked },
      { tokensIn: 300, tokensOut: 30, costUsd: 0.5, toolCalls: 2, denials: 1, approvalsAsked: 1 },
    );
  });
});
