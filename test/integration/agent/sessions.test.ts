// Stored task sessions through the real kernel: listed, shown, exported (JSON, Markdown, replay), replayed to the
// same patch set, and deleted with an audit record.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KernelSupervisor } from '../../../bootstrap';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import { resumeSession, sessionsAction } from '../../../cli/src/commands/sessions';
import { historyOf } from '../../../cli/src/sessions/export';
import type { CliIO } from '../../../cli/src/command';
import { removeKernel, runTask, SAMPLE_REPLAY, sampleWorkspace, startKernel } from './helpers';

function io(cwd: string): CliIO & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: (l) => lines.push(l), readStdin: async () => '', cwd, env: {} };
}

describe('stored task sessions (sessions/list|show|delete, airlock sessions export)', function () {
  this.timeout(240_000);
  let sup: KernelSupervisor;
  let client: RpcClient;
  let base: string;
  let workspace: string;

  before(async () => {
    ({ base, workspace } = sampleWorkspace());
    sup = await startKernel(workspace, path.join(base, 'state'));
    client = await sup.ready();
  });
  after(async () => {
    if (sup) await removeKernel(sup);
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('keeps the transcript, cost and patch set; the exported replay reproduces the same patch set; delete is audited', async () => {
    const prompt = 'Fix the median bug in src/stats.js and add a test';
    const first = await runTask(client, { prompt, replay: SAMPLE_REPLAY, mode: 'explore' });
    assert.equal((await first.finished).status, 'completed');
    const { sessions } = await client.request('sessions/list', {});
    const s = sessions.find((x) => x.taskId === first.taskId);
    assert.ok(s, JSON.stringify(sessions));
    assert.deepEqual(
      [s.prompt, s.provider, s.mode, s.status, s.patchSetId],
      [prompt, 'replay', 'explore', 'completed', first.ready[0]!.setId],
    );
    const shown = await client.request('sessions/show', { taskId: first.taskId });
    const toolCalls = shown.events.filter((e) => e.event.type === 'tool-call').length;
    assert.equal(toolCalls, first.events.filter((e) => e.type === 'tool-call').length);
    assert.ok(shown.events.length < first.events.length, 'text deltas of a turn are stored merged');
    // Every other event is kept, the first turn's start included: the first model turn starts while task/start is
    // still answering (the workspace is made meanwhile), and the store keeps only events of a session it knows.
    const kinds = (l: Array<{ type: string }>) => l.map((e) => e.type).filter((t) => t !== 'text-delta');
    assert.deepEqual(kinds(shown.events.map((e) => e.event)), kinds(first.events));
    // Exported into the workspace, where the kernel can read the replay.
    const out = io(workspace);
    assert.equal(await sessionsAction(client, ['export', first.taskId, '--out', path.join(workspace, '.exports')], out), 0);
    const exported = path.join(workspace, '.exports', `${first.taskId}.replay.jsonl`);
    const md = fs.readFileSync(path.join(workspace, '.exports', `${first.taskId}.md`), 'utf8');
    assert.match(md, /^# Fix the median bug/);
    assert.match(md, /\*\*tool call\*\* `search\.grep`/);
    const json = JSON.parse(fs.readFileSync(path.join(workspace, '.exports', `${first.taskId}.session.json`), 'utf8')) as {
      session: { taskId: string };
    };
    assert.equal(json.session.taskId, first.taskId);
    const again = await runTask(client, { prompt, replay: path.relative(workspace, exported), mode: 'explore' });
    assert.equal((await again.finished).status, 'completed');
    const lines = async (id: string) =>
      (await client.request('review/show', { id })).set.files.map((f) => [
        f.path,
        f.type === 'modify' || f.type === 'add' ? f.hunks.flatMap((h) => h.lines) : [],
      ]);
    assert.deepEqual(await lines(again.ready[0]!.setId), await lines(first.ready[0]!.setId));
    // Resume: a follow-up task carries the stored conversation as its history, and its session says what it continues.
    const history = historyOf(s, shown.events);
    assert.equal(history[0]!.text, prompt);
    assert.match(history[1]!.text, /\[called fs\.list/);
    const res = io(workspace);
    const follow = fs.readFileSync(path.join(workspace, '.exports', `${first.taskId}.replay.jsonl`), 'utf8').split('\n')[0]!;
    fs.writeFileSync(
      path.join(workspace, '.exports', 'follow.jsonl'),
      `${JSON.stringify({ turn: 1, events: [...JSON.parse(follow).events.filter((e: { type: string }) => e.type === 'text-delta'), { type: 'finish', reason: 'stop' }] })}\n`,
    );
    const code = await resumeSession(
      client,
      [
        first.taskId,
        'and now say what you changed',
        '--replay',
        path.join(workspace, '.exports', 'follow.jsonl'),
        '--yes',
        '--workspace',
        workspace,
      ],
      { ...res, write: (t) => res.lines.push(t) },
    );
    assert.equal(code, 0, res.lines.join('\n'));
    const resumed = (await client.request('sessions/list', {})).sessions.find((x) => x.continues === first.taskId);
    assert.ok(resumed, "the follow-up's session names the one it continues");
    assert.equal(resumed.prompt, 'and now say what you changed');
    assert.equal(resumed.mode, 'explore', "the stored session's mode unless --mode is given");
    // Delete: recorded first, then gone.
    const del = io(workspace);
    assert.equal(await sessionsAction(client, ['delete', first.taskId], del), 0);
    assert.equal(
      (await client.request('sessions/list', {})).sessions.some((x) => x.taskId === first.taskId),
      false,
    );
    await assert.rejects(client.request('sessions/show', { taskId: first.taskId }), /no stored session/);
    const audit = await client.request('audit/query', { action: 'session.delete' });
    assert.deepEqual(
      audit.entries.map((e) => e.resource),
      [first.taskId],
    );
  });
});
