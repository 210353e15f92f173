// A chat conversation through the real kernel (Docker sandboxes): a follow-up's volume starts from the open proposal,
// a turn that changes nothing makes no set, a rejected change is not seeded, and a rewind goes back to an earlier turn.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import type { TaskEvent } from '../../../protocol/src/agent';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import type { KernelSupervisor } from '../../../bootstrap';
import { call, fin, readTree, removeKernel, runTask, sampleWorkspace, startKernel, text, writeReplay } from './helpers';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const results = (events: TaskEvent[]) => events.flatMap((e) => (e.type === 'tool-result' ? [e.result] : []));
const A_JS = 'exports.twice = (n) => n * 2;\n';
const A_TEST =
  "const { test } = require('node:test');\nconst assert = require('node:assert');\nconst { twice } = require('../src/a.js');\n" +
  "test('twice', () => assert.equal(twice(21), 42));\n";
const EXISTS = "const fs = require('fs'); console.log(['src/a.js', 'test/a.test.js', 'NOTES.md'].map((p) => fs.existsSync(p)).join(' '))";

describe('a chat conversation: follow-ups start from the open proposal (task/start proposal)', function () {
  this.timeout(300_000);
  let sup: KernelSupervisor;
  let client: RpcClient;
  let base: string;
  let workspace: string;
  let pristine: Record<string, string>;

  before(async () => {
    ({ base, workspace } = sampleWorkspace());
    writeReplay(workspace, 'turn1', [
      [...call(0, 'a1', 'fs.write', { path: 'src/a.js', content: A_JS }), fin('tool-calls')],
      [...call(0, 'a2', 'fs.write', { path: 'NOTES.md', content: 'notes\n' }), fin('tool-calls')],
      [text('Added src/a.js and NOTES.md.'), fin('stop')],
    ]);
    writeReplay(workspace, 'turn2', [
      [...call(0, 'b1', 'exec', { argv: ['cat', 'src/a.js'] }), fin('tool-calls')],
      [...call(0, 'b2', 'fs.write', { path: 'test/a.test.js', content: A_TEST }), fin('tool-calls')],
      [...call(0, 'b3', 'exec', { argv: ['node', '--test', 'test/a.test.js'] }), fin('tool-calls')],
      [text('Added a test for a.js; it passes.'), fin('stop')],
    ]);
    writeReplay(workspace, 'look', [
      [...call(0, 'c1', 'exec', { argv: ['node', '-e', EXISTS] }), fin('tool-calls')],
      [text('Looked.'), fin('stop')],
    ]);
    sup = await startKernel(workspace, path.join(base, 'state'));
    client = await sup.ready();
    pristine = readTree(workspace);
  });
  after(async () => {
    if (sup) await removeKernel(sup);
    fs.rmSync(base, { recursive: true, force: true });
  });

  const files = async (id: string) => (await client.request('review/show', { id })).set.files.map((f) => `${f.type} ${f.path}`).sort();
  const turn = async (replay: string, proposal: string[]) => {
    const run = await runTask(client, { prompt: `turn ${replay}`, replay: `.replays/${replay}.jsonl`, mode: 'explore', proposal });
    const done = await run.finished;
    assert.equal(done.status, 'completed', done.message);
    return { run, r: results(run.events), setId: run.ready[0]?.setId };
  };

  it('turn 2 runs its test on turn 1 proposed files; a question makes no set; rejected and rewound changes are not seeded', async () => {
    const t1 = await turn('turn1', []);
    assert.ok(t1.setId);
    assert.deepEqual(await files(t1.setId), ['add NOTES.md', 'add src/a.js']);

    // Turn 2 sees src/a.js as proposed (it is not in the workspace), and its test of it passes in the sandbox.
    const t2 = await turn('turn2', [t1.setId]);
    assert.deepEqual(
      t2.r.map((x) => [x.name, x.ok]),
      [
        ['exec', true],
        ['fs.write', true],
        ['exec', true],
      ],
    );
    assert.match(t2.r[0]!.content, /^exit code 0\n[\s\S]*exports\.twice = \(n\) => n \* 2;/);
    assert.match(t2.r[2]!.content, /^exit code 0\n[\s\S]*# pass 1\n/);
    // Its set is the conversation's whole proposal so far.
    assert.ok(t2.setId);
    assert.deepEqual(await files(t2.setId), ['add NOTES.md', 'add src/a.js', 'add test/a.test.js']);
    const { entries } = await client.request('audit/query', { session: t2.run.taskId, action: 'task.seed', payloads: true });
    assert.equal(entries.length, 1);
    assert.deepEqual((entries[0]!.payload as { setId: string; files: string[] }).files.sort(), ['NOTES.md', 'src/a.js']);

    // The person rejects NOTES.md in the newest set; a turn that writes nothing makes no new set and does not see it.
    await client.request('review/decide', { setId: t2.setId, items: [{ path: 'NOTES.md', decision: 'reject' }] });
    const t3 = await turn('look', [t1.setId, t2.setId]);
    assert.equal(t3.setId, undefined, 'a turn that changed nothing proposes nothing new');
    assert.match(t3.r[0]!.content, /true true false\n/);

    // Rewind to before turn 2: its set is withdrawn, and the next turn starts from turn 1's proposal.
    const rw = await client.request('task/rewind', { tasks: [t2.run.taskId, t3.run.taskId] });
    assert.deepEqual(
      rw.turns.map((x) => x.outcome),
      ['withdrawn', 'none'],
    );
    const t4 = await turn('look', [t1.setId, t2.setId]);
    assert.equal(t4.setId, undefined);
    assert.match(t4.r[0]!.content, /true false true\n/);

    assert.deepEqual(readTree(workspace), pristine, 'the workspace never moved');
    for (const t of [t1, t2, t3, t4]) {
      const vols = await docker.listVolumes({ filters: { name: [`airlock-out-${t.run.taskId}`] } });
      assert.deepEqual(vols.Volumes ?? [], [], 'each turn frees its output volume (the proposal lives in the kept sets)');
    }
  });
});
