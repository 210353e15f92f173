// airlock eval's workspace handling on the host: each run gets a fresh committed copy of repo/ in the same folder (the
// kernel serves that folder), and a replay outside Airlock's examples/ is put where the kernel can read it, ignored by git.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { replayFor, resetWorkspace, WORKSPACE_REPLAY } from '../../../cli/src/eval/run-task';
import { loadSuite, loadTask } from '../../../cli/src/eval/suite';
import { assets } from '../../../protocol/src/node/assets';

const git = (cwd: string, ...args: string[]) => spawnSync('git', args, { cwd, encoding: 'utf8' }).stdout.trim();

describe('airlock eval: workspace', () => {
  let base: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-eval-ws-'));
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  const makeTask = (id: string, files: Record<string, string>, replay?: string) => {
    const dir = path.join(base, 'suite', id);
    for (const [p, c] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, 'repo', p)), { recursive: true });
      fs.writeFileSync(path.join(dir, 'repo', p), c);
    }
    fs.writeFileSync(path.join(dir, 'task.yaml'), `id: ${id}\ntitle: t\nlanguage: javascript\nkind: bug-fix\ncheck: "true"\n`);
    fs.writeFileSync(path.join(dir, 'task.md'), 'Fix the bug in a.js, please.\n');
    if (replay !== undefined) fs.writeFileSync(path.join(dir, 'replay.jsonl'), replay);
    return loadTask(dir);
  };

  it('replaces the folder contents with the next task, committed, keeping the folder itself (the kernel mounts it)', () => {
    const ws = path.join(base, 'ws');
    fs.mkdirSync(ws);
    const inode = fs.statSync(ws).ino;
    resetWorkspace(makeTask('one', { 'a.js': 'one\n', 'lib/x.js': 'x\n' }), ws);
    fs.writeFileSync(path.join(ws, 'left-over.txt'), 'from the last run\n');
    resetWorkspace(makeTask('two', { 'b.js': 'two\n' }), ws);
    assert.equal(fs.statSync(ws).ino, inode);
    assert.deepEqual(fs.readdirSync(ws).sort(), ['.git', 'b.js']);
    assert.equal(git(ws, 'status', '--porcelain'), '', "everything committed: the patch set is the run's only change");
    assert.equal(git(ws, 'log', '--format=%s'), 'eval task two: starting files', "a fresh repository, not the last run's history");
  });

  it('reads a starter replay in place from the kernel image, and copies any other into the workspace, ignored by git', () => {
    const ws = path.join(base, 'ws');
    fs.mkdirSync(ws);
    const starter = loadSuite(path.join(assets().examplesDir, 'eval', 'starter'), ['js-median-sort'])[0]!;
    resetWorkspace(starter, ws);
    assert.equal(replayFor(starter, ws), '/opt/airlock/examples/eval/starter/js-median-sort/replay.jsonl');
    const own = makeTask('own', { 'a.js': 'a\n' }, '{"turn":1,"events":[]}\n');
    resetWorkspace(own, ws);
    assert.equal(replayFor(own, ws), WORKSPACE_REPLAY);
    assert.equal(fs.readFileSync(path.join(ws, WORKSPACE_REPLAY), 'utf8'), '{"turn":1,"events":[]}\n');
    assert.equal(git(ws, 'status', '--porcelain'), '', 'the copied replay is not a change');
    assert.throws(() => replayFor(makeTask('none', { 'a.js': 'a\n' }), ws), /EVAL_NO_REPLAY|has no replay\.jsonl/);
  });
});
