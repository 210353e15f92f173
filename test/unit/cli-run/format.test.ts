// airlock run / chat: terminal formatting of task events, the patch set summary, approvals, options and replay paths.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TaskEvent } from '../../../protocol/src/agent';
import type { PatchSet } from '../../../protocol/src/patches';
import { chatHistory } from '../../../cli/src/commands/chat';
import { describeCall, formatEvent, formatPatchSummary, type Output, parseApproval } from '../../../cli/src/run/format';
import { kernelReplayPath, parseRunOptions, providerConfig, startParams } from '../../../cli/src/run/options';
import { exitCodeOf } from '../../../cli/src/run/session';

const render = (events: TaskEvent[]) => {
  const state = { midText: false };
  let out = '';
  for (const e of events)
    for (const o of formatEvent(e, state) as Output[]) out += o.type === 'text' ? o.text : o.type === 'line' ? `${o.text}\n` : '';
  return out;
};

describe('cli run: event formatting', () => {
  it('streams text, breaks the line before a tool call, shows results with ✓/✗ and the denial reason', () => {
    const out = render([
      { type: 'turn-start', turn: 1 },
      { type: 'text-delta', text: 'Looking' },
      { type: 'text-delta', text: ' around.' },
      { type: 'tool-call', call: { id: 'c1', name: 'exec', arguments: JSON.stringify({ argv: ['curl', 'https://x.example/a b'] }) } },
      {
        type: 'tool-result',
        result: {
          toolCallId: 'c1',
          name: 'exec',
          ok: false,
          truncated: false,
          content: 'error POLICY_DENIED: policy denied exec: no rule allows it\nhint: choose another approach',
        },
      },
      { type: 'usage', usage: { inputTokens: 1, outputTokens: 1 }, totalTokens: 2, costUsd: 0 },
      { type: 'turn-start', turn: 2 },
      { type: 'text-delta', text: 'Done.' },
      { type: 'finished', status: 'completed', message: 'Done.' },
    ]);
    assert.equal(
      out,
      'Looking around.\n→ exec curl "https://x.example/a b"\n  ✗ error POLICY_DENIED: policy denied exec: no rule allows it (+1 lines)\n\nDone.\n\n[completed]\n',
    );
  });

  it('shows the message of a task that did not complete, and approval requests with their reason', () => {
    const out = render([
      {
        type: 'approval-request',
        requestId: 'r1',
        call: { id: 'c', name: 'fs.write', arguments: '{"path":"a.txt","content":"x"}' },
        reason: 'writes are approved one by one',
      },
      { type: 'finished', status: 'budget-exceeded', message: 'Task stopped: the turns budget is used up (2 model turns of 2).' },
    ]);
    assert.equal(
      out,
      '? approval needed: fs.write a.txt — writes are approved one by one\n\n[budget-exceeded] Task stopped: the turns budget is used up (2 model turns of 2).\n',
    );
  });

  it('shows workflow moves and refusals with the guard that decided', () => {
    const wf = (x: Partial<Extract<TaskEvent, { type: 'workflow' }>>) =>
      ({ type: 'workflow', sessionId: 's', mode: 'strict', state: 'spec', change: 'transition', next: [], ...x }) as TaskEvent;
    assert.equal(
      render([wf({ change: 'refused', guard: 'failingTestSeen', reason: 'write a failing test first and run it' })]),
      '◆ strict refused: spec (guard failingTestSeen): write a failing test first and run it\n',
    );
    assert.equal(render([wf({ from: 'spec', to: 'red', state: 'red' })]), '◆ strict transition: spec → red\n');
  });

  it('describes calls briefly and survives bad JSON', () => {
    assert.equal(describeCall({ id: 'a', name: 'search.grep', arguments: '{"pattern":"TODO","path":"src"}' }), 'search.grep "TODO" in src');
    assert.equal(describeCall({ id: 'a', name: 'fs.read', arguments: '{"path":"a.ts","startLine":3,"endLine":9}' }), 'fs.read a.ts:3-9');
    assert.equal(describeCall({ id: 'a', name: 'fs.edit', arguments: '{not json' }), 'fs.edit {not json');
  });

  it('parses approvals: y once, a for the session, anything else denies', () => {
    assert.deepEqual(['y', 'YES', 'a', 'always', '', 'n', 'maybe'].map(parseApproval), [
      'allow',
      'allow',
      'allow-session',
      'allow-session',
      'deny',
      'deny',
      'deny',
    ]);
    assert.deepEqual((['completed', 'cancelled', 'failed', 'budget-exceeded'] as const).map(exitCodeOf), [0, 130, 1, 1]);
  });
});

describe('cli run: patch set summary', () => {
  const set = {
    id: 'ps_abcd_1234',
    status: 'pending',
    source: 'overlay',
    testsPassed: true,
    warnings: [],
    createdAt: 0,
    taskId: 'task_x',
    stats: { files: 3, added: 9, removed: 2 },
    files: [
      { type: 'modify', path: 'src/stats.js', added: 1, removed: 1 },
      { type: 'add', path: 'test/median.test.js', added: 8 },
      { type: 'delete', path: 'old name.txt', removed: 1 },
    ],
    blocked: [{ path: '.git/config', reason: 'git internals are never proposed' }],
  } as unknown as PatchSet;

  it('lists files with +/- counts, blocked changes and the exact review commands', () => {
    assert.deepEqual(formatPatchSummary(set, ''), [
      'Patch set ps_abcd_1234: 3 file(s), +9 -2, tests passed in the sandbox',
      '  M src/stats.js         +1 -1',
      '  A test/median.test.js  +8',
      '  D old name.txt         -1',
      '  blocked .git/config: git internals are never proposed',
      'The workspace is unchanged. To review and merge:',
      '  airlock review show ps_abcd_1234 --diff',
      '  airlock review accept ps_abcd_1234',
      '  airlock review merge ps_abcd_1234',
    ]);
    assert.equal(formatPatchSummary(set, '/tmp/my ws')[8], "  airlock review merge ps_abcd_1234 --workspace '/tmp/my ws'");
  });
});

describe('cli run: options', () => {
  let ws: string;
  before(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-cli-run-'));
    fs.mkdirSync(path.join(ws, 'rec'));
  });
  after(() => fs.rmSync(ws, { recursive: true, force: true }));

  it('maps replay files to kernel paths: workspace-relative, examples/ to /opt/airlock/examples, anything else refused', () => {
    assert.equal(kernelReplayPath(path.join(ws, 'rec/a.jsonl'), ws, ['/x/examples']), 'rec/a.jsonl');
    assert.equal(
      kernelReplayPath('/x/examples/sample-project.replay.jsonl', ws, ['/x/examples']),
      '/opt/airlock/examples/sample-project.replay.jsonl',
    );
    assert.throws(() => kernelReplayPath('/etc/passwd', ws, ['/x/examples']), /CLI_REPLAY_OUTSIDE|neither in the workspace/);
  });

  it('builds task/start params and takes keys from the environment first', async () => {
    const o = parseRunOptions(['fix', 'it', '--provider', 'anthropic', '--mode', 'explore', '--workspace', ws, '--yes'], '/', 'usage');
    assert.deepEqual(o.positionals, ['fix', 'it']);
    assert.deepEqual(startParams(o, 'fix it'), { prompt: 'fix it', provider: 'anthropic', mode: 'explore' });
    assert.deepEqual(await providerConfig(o, { ANTHROPIC_API_KEY: 'sk-ant-secret' }), { provider: 'anthropic', apiKey: 'sk-ant-secret' });
    assert.deepEqual(await providerConfig({ ...o, provider: 'google' }, { GOOGLE_API_KEY: 'g-key' }), {
      provider: 'google',
      apiKey: 'g-key',
    });
    assert.equal(
      await providerConfig({ ...o, provider: undefined, replay: 'r.jsonl' }, { OPENAI_API_KEY: 'x' }),
      undefined,
      'replay sends no key',
    );
    assert.throws(() => parseRunOptions(['x', '--provider', 'nope'], ws, 'usage'), /unknown provider/);
    assert.throws(() => parseRunOptions(['x', '--mode', 'yolo'], ws, 'usage'), /unknown mode/);
  });

  it('chat carries the conversation so far into the next task (task/start history, newest kept)', () => {
    assert.deepEqual(chatHistory([]), []);
    assert.deepEqual(chatHistory([{ user: 'fix a', agent: 'fixed a' }]), [
      { role: 'user', text: 'fix a' },
      { role: 'assistant', text: 'fixed a' },
    ]);
    const long = chatHistory(Array.from({ length: 10 }, (_, i) => ({ user: `q${i} ${'x'.repeat(90_000)}`, agent: `a${i}` })));
    assert.ok(long.length < 20 && long.at(-1)!.text === 'a9', 'the oldest exchanges go first');
    const o = parseRunOptions(['x'], '/tmp', 'usage');
    assert.deepEqual(
      startParams({ ...o, history: chatHistory([{ user: 'u', agent: 'a' }]) }, 'next').history?.map((t) => t.role),
      ['user', 'assistant'],
    );
    assert.equal('history' in startParams(o, 'first'), false);
    // `airlock chat` sends its turns' patch sets: the kernel seeds the next turn from the newest still proposed.
    assert.deepEqual(startParams({ ...o, proposal: ['ps_one1', 'ps_two2'] }, 'next').proposal, ['ps_one1', 'ps_two2']);
    assert.equal('proposal' in startParams({ ...o, proposal: [] }, 'first'), false);
  });
});
