// The kernel-side view of a task's overlay output volume: writes into the upper dir, reads through it, refuses planted symlinks.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TaskVolume } from '../../../kernel/src/agent/task-volume';
import type { OutputVolume } from '../../../kernel/src/patches/volumes';

describe('agent task volume (overlay upper dir, kernel side)', () => {
  let base: string;
  let ws: string;
  let tv: TaskVolume;
  let unmounts: number;
  const ac = new AbortController();
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-tv-'));
    ws = path.join(base, 'ws');
    fs.mkdirSync(path.join(ws, 'src'), { recursive: true, mode: 0o750 });
    fs.writeFileSync(path.join(ws, 'src/a.js'), 'old\n', { mode: 0o640 });
    fs.mkdirSync(path.join(base, 'out/upper'), { recursive: true });
    unmounts = 0;
    const vol = {
      id: 't',
      volumeName: 'airlock-out-t',
      kind: 'overlay',
      dir: path.join(base, 'out'),
      quotaBytes: 1e9,
      baselineBytes: 0,
    } as OutputVolume;
    tv = new TaskVolume(vol, ws, async () => {
      unmounts++;
    });
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it('writes into the upper dir with the workspace modes, reads its own edits, leaves the workspace alone', async () => {
    assert.equal(await tv.read('src/a.js'), 'old\n');
    await tv.write('src/a.js', 'new\n', ac.signal);
    await tv.write('test/b.test.js', 'b\n', ac.signal);
    assert.equal(unmounts, 2, 'the sandbox is released before each write');
    assert.equal(fs.readFileSync(path.join(base, 'out/upper/src/a.js'), 'utf8'), 'new\n');
    assert.equal(fs.statSync(path.join(base, 'out/upper/src')).mode & 0o777, 0o750);
    assert.equal(fs.statSync(path.join(base, 'out/upper/src/a.js')).mode & 0o777, 0o640);
    assert.equal(await tv.read('src/a.js'), 'new\n');
    assert.equal(await tv.read('./test//b.test.js'), 'b\n');
    assert.equal(fs.readFileSync(path.join(ws, 'src/a.js'), 'utf8'), 'old\n');
    assert.deepEqual(tv.locate('src/a.js'), { type: 'output', abs: path.join(base, 'out/upper/src/a.js') });
  });

  it('refuses escapes and symlinks planted by the sandbox; a whiteout reads as deleted and is replaced by a write', async () => {
    await assert.rejects(tv.write('../x', 'x', ac.signal), /not a file inside the workspace/);
    await assert.rejects(tv.write('/etc/x', 'x', ac.signal), /not a file inside the workspace/);
    fs.symlinkSync('/tmp', path.join(base, 'out/upper/evil'));
    await assert.rejects(tv.write('evil/x', 'x', ac.signal), /TOOL_UNSAFE_PATH|symlink/);
    await assert.rejects(tv.read('evil/x'), /"evil" is a symlink to "\/tmp"/);
    fs.mkdirSync(path.join(base, 'out/upper/src'));
    execFileSync('mknod', [path.join(base, 'out/upper/src/gone.js'), 'c', '0', '0']);
    fs.writeFileSync(path.join(ws, 'src/gone.js'), 'was here\n');
    assert.equal(await tv.read('src/gone.js'), undefined);
    await tv.write('src/gone.js', 'back\n', ac.signal);
    assert.equal(await tv.read('src/gone.js'), 'back\n');
  });
});
