// What ships, as the people who run it: the built CLI (dist/cli.js) as a non-root user in the docker group on a 0700
// folder of their own, and root on a folder owned by that user. A replayed task's sandboxed command writes files;
// review, merge and audit verify follow; merged files belong to the folder's owner.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import { assets } from '../../../protocol/src/node/assets';
import { stateFolderId } from '../../../core/src/gc/record';
import { removeWorkspaceLeftovers } from '../workspace-leftovers';
import { execReplay } from './replay';

const USER = 'airlocktest';
const CLI = path.join(assets().root, 'dist', 'cli.js');
fs.mkdirSync(path.join(process.env.HOME ?? '/root', 'tmp'), { recursive: true });

/** CI creates the user (`useradd -m -G docker airlocktest`); as root the test makes sure it exists. */
function ensureUser(): { uid: number; gid: number; home: string } {
  if (spawnSync('id', ['-u', USER]).status !== 0) {
    const r = spawnSync('useradd', ['-m', '-G', 'docker', USER], { encoding: 'utf8' });
    assert.equal(r.status, 0, `useradd ${USER}: ${r.stderr}`);
  }
  const id = (flag: string) => Number(spawnSync('id', [flag, USER], { encoding: 'utf8' }).stdout.trim());
  const home = `/home/${USER}`;
  fs.mkdirSync(path.join(home, 'tmp'), { recursive: true });
  fs.chownSync(path.join(home, 'tmp'), id('-u'), id('-g'));
  return { uid: id('-u'), gid: id('-g'), home };
}

/** A replay whose model writes gen/out.txt with a sandboxed command, then runs the tests, then stops. */
const replayLines = () =>
  execReplay(
    [
      ['node', '-e', "require('fs').mkdirSync('gen',{recursive:true});require('fs').writeFileSync('gen/out.txt','built\\n')"],
      ['node', '--test'],
    ],
    'Generated gen/out.txt; tests pass.',
  );

function workspaceFor(parent: string, owner: { uid: number; gid: number }): string {
  const ws = path.join(parent, `ws ${Date.now()}`);
  fs.cpSync(path.join(assets().examplesDir, 'sample-project'), ws, { recursive: true });
  fs.writeFileSync(path.join(ws, 'task.replay.jsonl'), replayLines());
  spawnSync('chown', ['-R', `${owner.uid}:${owner.gid}`, ws]);
  fs.chmodSync(ws, 0o700);
  return ws;
}

function airlock(asUser: boolean, home: string, args: string[]) {
  // These machines' /tmp is 0755: each user gets a temp folder of their own, as a user's TMPDIR would be.
  const tmp = path.join(home, 'tmp');
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: home, NO_COLOR: '1', TMPDIR: tmp };
  const argv = asUser
    ? ['runuser', '-u', USER, '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, CLI, ...args]
    : [process.execPath, CLI, ...args];
  const r = spawnSync(argv[0], argv.slice(1), {
    encoding: 'utf8',
    cwd: '/',
    env: asUser ? undefined : { ...process.env, ...env },
    timeout: 240_000,
  });
  assert.equal(r.status, 0, `airlock ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The kernel, sandboxes and volumes, the workspace (in the user's home: no one else deletes it, and gc keeps a live
 * workspace's volumes) and both users' state folders for it. */
async function removeLeftovers(ws: string, homes: string[]): Promise<void> {
  await removeWorkspaceLeftovers(ws);
  fs.rmSync(ws, { recursive: true, force: true });
  for (const home of homes)
    fs.rmSync(path.join(home, '.local', 'state', 'airlock', `ws-${stateFolderId(ws)}`), { recursive: true, force: true });
}

function flow(asUser: boolean, ws: string, home: string, owner: { uid: number; gid: number }): void {
  const out = airlock(asUser, home, [
    'run',
    'Generate gen/out.txt and run the tests',
    '--workspace',
    ws,
    '--replay',
    path.join(ws, 'task.replay.jsonl'),
    '--mode',
    'explore',
  ]);
  const set = /Patch set (ps_\w+):/.exec(out)?.[1];
  assert.ok(set, `a patch set was produced:\n${out}`);
  assert.equal(fs.existsSync(path.join(ws, 'gen')), false, 'nothing reaches the workspace before the merge');
  airlock(asUser, home, ['review', 'accept', set, '--workspace', ws]);
  airlock(asUser, home, ['review', 'merge', set, '--workspace', ws]);
  const file = path.join(ws, 'gen', 'out.txt');
  assert.equal(fs.readFileSync(file, 'utf8'), 'built\n');
  for (const p of [file, path.dirname(file)])
    assert.deepEqual([fs.statSync(p).uid, fs.statSync(p).gid], [owner.uid, owner.gid], `${p} belongs to the folder's owner`);
  airlock(asUser, home, ['audit', 'verify', '--workspace', ws]);
}

describe('what ships, as a normal user and as root on their folder (dist/cli.js, Docker)', function () {
  this.timeout(600_000);
  const user = ensureUser();
  const made: string[] = [];
  after(async () => {
    for (const ws of made) await removeLeftovers(ws, [user.home, process.env.HOME ?? '/root']);
  });

  it('a non-root user in the docker group, on a 0700 folder of their own', async () => {
    const ws = workspaceFor(user.home, user);
    made.push(ws);
    flow(true, ws, user.home, user);
    const [kernel] = await new Docker().listContainers({ filters: { label: [`airlock.workspace=${ws}`, 'airlock.role=kernel'] } });
    assert.equal((await new Docker().getContainer(kernel.Id).inspect()).Config.User, `${user.uid}:${user.gid}`);
  });

  it("root on a folder owned by that user: the kernel and sandboxes run as the folder's owner", async () => {
    const ws = workspaceFor(user.home, user);
    made.push(ws);
    flow(false, ws, process.env.HOME ?? '/root', user);
    const [kernel] = await new Docker().listContainers({ filters: { label: [`airlock.workspace=${ws}`, 'airlock.role=kernel'] } });
    assert.equal((await new Docker().getContainer(kernel.Id).inspect()).Config.User, `${user.uid}:${user.gid}`);
  });
});
