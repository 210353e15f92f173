// What the sandbox user can read of the workspace: mode bits against the template's uid:gid, as doctor and tasks report it.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { workspaceCheck } from '../../../cli/src/commands/doctor';
import { accessNote, mayRead, parseUser, workspaceAccess } from '../../../core/src/workspace-access';
import { assets } from '../../../protocol/src/node/assets';

describe('workspace access for the sandbox user', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-access-'));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('applies owner, group or other bits, and needs x as well as r on a directory', () => {
    const dir = (mode: number, uid = 1001, gid = 1001) => ({ mode, uid, gid, isDirectory: true });
    assert.equal(mayRead(dir(0o755), 1000, 1000), true);
    assert.equal(mayRead(dir(0o750), 1000, 1000), false, 'another owner and group: other bits');
    assert.equal(mayRead(dir(0o750, 1001, 1000), 1000, 1000), true, 'group bits when the gid matches');
    assert.equal(mayRead(dir(0o700, 1000, 1000), 1000, 1000), true, 'owner bits');
    assert.equal(mayRead(dir(0o744), 1000, 1000), false, 'r without x cannot be listed through');
    assert.equal(mayRead({ mode: 0o604, uid: 1001, gid: 1001, isDirectory: false }, 1000, 1000), true);
    assert.equal(mayRead({ mode: 0o640, uid: 1001, gid: 1001, isDirectory: false }, 1000, 1000), false);
    assert.deepEqual(parseUser('1000'), { uid: 1000, gid: 1000 });
    assert.deepEqual(parseUser('1000:100'), { uid: 1000, gid: 100 });
  });

  it('lists the top-level entries the sandbox cannot read, and says so once for a task', () => {
    const ws = tmp();
    fs.chmodSync(ws, 0o755);
    fs.writeFileSync(path.join(ws, 'README.md'), 'hi\n', { mode: 0o644 });
    fs.writeFileSync(path.join(ws, '.env'), 'SECRET=1\n', { mode: 0o600 });
    fs.mkdirSync(path.join(ws, 'private'), { mode: 0o700 });
    fs.mkdirSync(path.join(ws, 'src'), { mode: 0o755 });
    const owner = fs.statSync(ws).uid;
    const user = owner === 1000 ? '1001:1001' : '1000:1000';
    const a = workspaceAccess(ws, user);
    assert.equal(a.rootReadable, true);
    assert.deepEqual(a.unreadable, ['.env', 'private']);
    assert.match(accessNote(ws, user), /cannot read \.env, private in the workspace/);
    assert.equal(accessNote(ws, `${owner}:${fs.statSync(ws).gid}`), '', 'the owner reads everything');
  });

  it('doctor passes a 0700 folder of the workspace user, whom sandboxes run as by default', () => {
    const ws = tmp();
    fs.writeFileSync(path.join(ws, 'a.txt'), 'a\n');
    fs.chmodSync(ws, 0o700);
    const r = workspaceCheck(ws);
    assert.equal(r.ok, true, r.detail);
    assert.match(r.detail, new RegExp(`user ${fs.statSync(ws).uid}:`));
  });

  it("doctor fails the workspace check when a template's fixed user could not list it, with the fix", () => {
    const ws = tmp();
    fs.writeFileSync(path.join(ws, 'a.txt'), 'a\n');
    fs.chmodSync(ws, 0o700);
    const fixed = tmp();
    const t = fs.readFileSync(path.join(assets().sandboxTemplatesDir, 'code-executor.yaml'), 'utf8');
    fs.writeFileSync(path.join(fixed, 'code-executor.yaml'), `user: "1000:1000"\n${t}`);
    const closed = workspaceCheck(ws, fixed);
    assert.equal(fs.statSync(ws).uid === 1000, false, 'this test runs as another user than the sandbox');
    assert.deepEqual([closed.ok, closed.code], [false, 'SANDBOX_WORKSPACE_UNREADABLE']);
    assert.match(closed.detail, /mode 0700/);
    assert.match(closed.hint ?? '', /chmod o\+rX/);
    fs.chmodSync(ws, 0o755);
    assert.equal(workspaceCheck(ws).ok, true);
  });
});
