// Rootless Podman out of the box: a Podman-only user (no docker group, no root) with the default configuration (vfs
// storage, cgroup v1 here) builds the images into their own store and runs the task flow with dist/cli.js: a replayed
// task's sandboxed command writes a file, review, merge (files theirs), audit verify.
import * as assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assets } from '../../../protocol/src/node/assets';
import { execReplay } from './replay';

const USER = 'airlockpod';
const ROOT = assets().root;

interface User {
  uid: number;
  gid: number;
  home: string;
  env: Record<string, string>;
}

/** Creates the user when missing (useradd also gives it subuids), its runtime dir and temp dir, and its Podman service. */
function podmanUser(): User {
  if (spawnSync('id', ['-u', USER]).status !== 0) assert.equal(spawnSync('useradd', ['-m', USER]).status, 0, `useradd ${USER}`);
  const id = (f: string) => Number(spawnSync('id', [f, USER], { encoding: 'utf8' }).stdout.trim());
  const [uid, gid, home] = [id('-u'), id('-g'), `/home/${USER}`];
  const run = `/run/user/${uid}`;
  for (const [d, mode] of [
    [run, 0o700],
    [path.join(home, 'tmp'), 0o755],
  ] as const) {
    fs.mkdirSync(d, { recursive: true, mode });
    fs.chownSync(d, uid, gid);
  }
  const env = { HOME: home, XDG_RUNTIME_DIR: run, TMPDIR: path.join(home, 'tmp'), PATH: '/usr/local/bin:/usr/bin:/bin' };
  const sock = path.join(run, 'podman', 'podman.sock');
  const ping = () =>
    spawnSync('curl', ['-s', '--max-time', '2', '--unix-socket', sock, 'http://x/_ping'], { encoding: 'utf8' }).stdout === 'OK';
  if (!ping()) {
    // A runtime dir left from an earlier login whose processes were all killed (no reboot, /run kept) names a pause
    // process that is gone; Podman then refuses to start until `podman system migrate` resets it. A login's
    // systemd would give a fresh dir; we reset instead.
    as({ uid, gid, home, env }, ['podman', 'system', 'migrate']);
    const log = path.join(home, 'tmp', 'podman-service.log');
    as({ uid, gid, home, env }, [
      'bash',
      '-c',
      `mkdir -p "$XDG_RUNTIME_DIR/podman" && (setsid podman system service --time=0 unix://${sock} > "$TMPDIR/podman-service.log" 2>&1 < /dev/null &)`,
    ]);
    for (let i = 0; i < 300 && !ping(); i++) spawnSync('sleep', ['0.2']);
    assert.ok(
      ping(),
      `the rootless Podman service of ${USER} answers at ${sock}\n${fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : ''}`,
    );
  }
  return { uid, gid, home, env };
}

function as(u: User, argv: string[], timeout = 300_000): SpawnSyncReturns<string> {
  const env = Object.entries(u.env).map(([k, v]) => `${k}=${v}`);
  return spawnSync('runuser', ['-u', USER, '--', 'env', '-i', ...env, ...argv], { encoding: 'utf8', cwd: '/', timeout });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const REPLAY = execReplay([['node', '-e', "require('fs').writeFileSync('made-in-sandbox.txt','hello\\n')"]]);

describe('rootless Podman, a Podman-only normal user (dist/cli.js)', function () {
  this.timeout(900_000);
  let u: User;
  let ws: string;
  before(() => {
    u = podmanUser();
    ws = path.join(u.home, `project ${Date.now()}`);
    fs.cpSync(path.join(assets().examplesDir, 'sample-project'), ws, { recursive: true });
    fs.writeFileSync(path.join(ws, 'task.replay.jsonl'), REPLAY);
    spawnSync('chown', ['-R', `${u.uid}:${u.gid}`, ws]);
    fs.chmodSync(ws, 0o700);
  });
  after(() => {
    if (!u) return;
    const ids = as(u, ['podman', 'ps', '-aq', '--filter', `label=airlock.workspace=${ws}`])
      .stdout.trim()
      .split('\n')
      .filter(Boolean);
    if (ids.length) as(u, ['podman', 'rm', '-f', ...ids]);
  });

  it("builds its images into the user's own store (no root, no debootstrap), then runs a task to a merged file", () => {
    const cli = (args: string[]) =>
      ok(as(u, [process.execPath, path.join(ROOT, 'dist', 'cli.js'), ...args, '--workspace', ws]), `airlock ${args[0]}`);
    ok(as(u, [process.execPath, path.join(ROOT, 'dist', 'cli.js'), 'images', 'prepare']), 'airlock images prepare, as the user');
    const doctor = cli(['doctor']);
    assert.match(doctor, /podman \(rootless\)/);
    assert.match(doctor, /airlock is healthy/);
    const out = cli(['run', 'Write a file', '--replay', path.join(ws, 'task.replay.jsonl'), '--mode', 'explore']);
    const set = /Patch set (ps_\w+):/.exec(out)?.[1];
    assert.ok(set, out);
    cli(['review', 'accept', set]);
    cli(['review', 'merge', set]);
    const file = path.join(ws, 'made-in-sandbox.txt');
    assert.equal(fs.readFileSync(file, 'utf8'), 'hello\n');
    assert.deepEqual([fs.statSync(file).uid, fs.statSync(file).gid], [u.uid, u.gid]);
    cli(['audit', 'verify']);
  });
});
