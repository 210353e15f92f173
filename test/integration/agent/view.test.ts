// search.grep / search.glob / fs.list in a real task (kernel container, replay provider, Docker sandbox) see the task's
// own edits: the kernel's fs.edit, a file the sandbox wrote and a file the sandbox deleted.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { TaskEvent } from '../../../protocol/src/agent';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import type { KernelSupervisor } from '../../../bootstrap';
import { call, fin, removeKernel, runTask, sampleWorkspace, startKernel, text, writeReplay } from './helpers';

const results = (events: TaskEvent[]) => events.flatMap((e) => (e.type === 'tool-result' ? [e.result] : []));

describe('native search tools see the task view (real kernel, Docker sandbox)', function () {
  this.timeout(240_000);
  let sup: KernelSupervisor;
  let client: RpcClient;
  let base: string;

  before(async () => {
    let workspace: string;
    ({ base, workspace } = sampleWorkspace());
    writeReplay(workspace, 'edit-then-grep', [
      [
        text('Adding a helper.'),
        ...call(0, 'e3', 'exec', {
          argv: [
            'node',
            '-e',
            'const fs = require("fs"); fs.writeFileSync("src/sort.js", "// NUMERIC_SORT helper\\n"); fs.unlinkSync("src/report.js")',
          ],
        }),
        fin('tool-calls'),
      ],
      [
        text('Fixing the sort.'),
        ...call(0, 'e1', 'fs.edit', {
          path: 'src/stats.js',
          oldText: 'const sorted = [...values].sort();',
          newText: 'const sorted = [...values].sort((a, b) => a - b); // NUMERIC_SORT',
        }),
        fin('tool-calls'),
      ],
      [...call(0, 'e2', 'search.grep', { pattern: 'a - b', fixed: true, globs: ['*.js'] }), fin('tool-calls')],
      [...call(0, 'e4', 'search.grep', { pattern: "NUMERIC_SORT|/stats'", globs: ['*.js'] }), fin('tool-calls')],
      [...call(0, 'e5', 'search.glob', { patterns: ['src/*.js'] }), fin('tool-calls')],
      [...call(0, 'e6', 'fs.list', { path: 'src' }), fin('tool-calls')],
      [text('Sorted numerically.'), fin('stop')],
    ]);
    // Both the sandbox user (uid 1000) and the kernel (no capabilities) write in src/: the copied-up directory keeps this mode.
    fs.chmodSync(`${workspace}/src`, 0o777);
    sup = await startKernel(workspace, `${base}/state`);
    client = await sup.ready();
  });
  after(async () => {
    if (sup) await removeKernel(sup);
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('after a sandbox command wrote one file and deleted another, the model edits a file, then greps for the new text and finds it', async () => {
    const run = await runTask(client, { prompt: 'Fix the median sort', replay: '.replays/edit-then-grep.jsonl', mode: 'explore' });
    const done = await run.finished;
    assert.equal(done.status, 'completed', done.message);
    const [exec, edit, grep1, grep2, glob, list] = results(run.events);
    assert.equal(exec.ok, true, exec.content);
    assert.match(exec.content, /exit code 0/);
    assert.equal(edit.ok, true, edit.content);
    assert.equal(grep1.content, 'src/stats.js:12:  const sorted = [...values].sort((a, b) => a - b); // NUMERIC_SORT');
    // src/report.js (which requires ./stats) is gone in the task's view; the sandbox's new file is there.
    assert.deepEqual(grep2.content.split('\n'), [
      'src/sort.js:1:// NUMERIC_SORT helper',
      'src/stats.js:12:  const sorted = [...values].sort((a, b) => a - b); // NUMERIC_SORT',
      "test/stats.test.js:3:const { mean, median } = require('../src/stats');",
    ]);
    assert.equal(glob.content, 'src/sort.js\nsrc/stats.js');
    assert.equal(list.content, 'src/sort.js\nsrc/stats.js');
  });
});
