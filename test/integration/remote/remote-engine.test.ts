// The whole flow on a remote engine: a second dockerd in its own network namespace, reached only over TCP+TLS. Images
// are prepared there through the API, the kernel and its sandboxes run there on volumes (no bind of a host path),
// a replayed task writes a file in a sandbox, review and merge bring it into the host's workspace, a host edit made
// between two tasks is seen by the second (the snapshot is re-sent before task/start), and the audit log verifies.
import * as assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assets } from '../../../protocol/src/node/assets';
import { execReplay } from '../shipped/replay';
import { type RemoteEngine, startRemoteEngine } from './engine';

const ROOT = assets().root;

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe('a remote engine over TCP+TLS (dist/cli.js)', function () {
  this.timeout(1_200_000);
  let re: RemoteEngine | undefined;
  let base: string;
  let ws: string;
  let env: NodeJS.ProcessEnv;
  const cli = (args: string[], timeout = 600_000) =>
    ok(
      spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args, ...(args[0] === 'images' ? [] : ['--workspace', ws])], {
        encoding: 'utf8',
        cwd: '/',
        env,
        timeout,
      }),
      `airlock ${args.slice(0, 2).join(' ')}`,
    );

  before(async () => {
    re = await startRemoteEngine();
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-remote-it-'));
    ws = path.join(base, 'project');
    fs.cpSync(path.join(assets().examplesDir, 'sample-project'), ws, { recursive: true });
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(DOCKER_|CONTAINER_HOST|AIRLOCK_)/.test(k)));
    // The engine's own socket path on its host, for the kernel's mount there; this side never connects to it.
    env = {
      ...clean,
      ...re.env,
      AIRLOCK_ENGINE_HOST_SOCKET: re.privateSocket,
      XDG_CONFIG_HOME: path.join(base, 'config'),
      XDG_STATE_HOME: path.join(base, 'state'),
      HOME: base,
    };
  });
  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !re) return;
    // What the kernel said is on the remote engine only: show it with the failure.
    for (const c of await re.docker.listContainers({ all: true, filters: { label: ['airlock.role=kernel'] } })) {
      const logs = await re.docker.getContainer(c.Id).logs({ stdout: true, stderr: true, tail: 40 });
      console.log(`      kernel log (${c.Names[0]}):\n${logs.toString('utf8').replace(/[\x00-\x08]/g, '')}`);
    }
  });
  after(async () => {
    await re?.stop();
    if (base) fs.rmSync(base, { recursive: true, force: true });
  });

  it('prepares the images on the remote engine through its API', () => {
    const t0 = Date.now();
    cli(['images', 'prepare'], 900_000);
    console.log(`      images prepared on the remote engine in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const repos = spawnSync('docker', ['images', '--format', '{{.Repository}}'], { encoding: 'utf8', env }).stdout;
    assert.match(repos, /airlock\/kernel/);
    assert.match(repos, /airlock\/code-executor/);
  });

  it('runs a task whose sandboxed command writes a file, merges it into the host workspace, and sees host edits on the next task', async () => {
    fs.writeFileSync(
      path.join(ws, 'task1.replay.jsonl'),
      execReplay([['node', '-e', "require('fs').writeFileSync('made-in-sandbox.txt','hello\\n')"]]),
    );
    const t0 = Date.now();
    const out = cli(['run', 'Write a file', '--replay', path.join(ws, 'task1.replay.jsonl'), '--mode', 'explore']);
    console.log(`      first task (kernel start, snapshot, task) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const set = /Patch set (ps_\w+):/.exec(out)?.[1];
    assert.ok(set, out);
    cli(['review', 'accept', set]);
    cli(['review', 'merge', set]);
    assert.equal(fs.readFileSync(path.join(ws, 'made-in-sandbox.txt'), 'utf8'), 'hello\n');

    // Host edits between tasks: a new file, and one removed. The second task's command reports what it sees.
    fs.writeFileSync(path.join(ws, 'note.txt'), 'edited on the host\n');
    fs.rmSync(path.join(ws, 'task1.replay.jsonl'));
    fs.writeFileSync(
      path.join(ws, 'task2.replay.jsonl'),
      execReplay([
        [
          'node',
          '-e',
          "const fs=require('fs');fs.writeFileSync('seen.txt',fs.readFileSync('note.txt','utf8')+'task1 replay present: '+fs.existsSync('task1.replay.jsonl')+'\\n')",
        ],
      ]),
    );
    const out2 = cli(['run', 'Read the note', '--replay', path.join(ws, 'task2.replay.jsonl'), '--mode', 'explore']);
    const set2 = /Patch set (ps_\w+):/.exec(out2)?.[1];
    assert.ok(set2, out2);
    cli(['review', 'accept', set2]);
    cli(['review', 'merge', set2]);
    assert.equal(fs.readFileSync(path.join(ws, 'seen.txt'), 'utf8'), 'edited on the host\ntask1 replay present: false\n');
  });

  it("mounts no host path into the kernel or its sandboxes: volumes, and the engine's own socket on its side", async () => {
    const containers = await re!.docker.listContainers({ all: true, filters: { label: ['airlock.owner=airlock'] } });
    const roles = containers.map((c) => c.Labels['airlock.role'] ?? `sandbox ${c.Labels['airlock.template']}`);
    console.log(`      containers: ${roles.join(', ')}`);
    assert.ok(roles.includes('kernel'), `a kernel container on the remote engine (${roles.join(', ')})`);
    // The code-executor sandboxes (warm pool) ran the task's commands: they mount the workspace snapshot.
    const sandboxes = containers.filter((c) => c.Labels['airlock.template'] === 'code-executor');
    assert.ok(sandboxes.length > 0, `code-executor sandboxes on the remote engine (${roles.join(', ')})`);
    const engineSide = [re!.dataRoot + '/', re!.privateSocket];
    for (const c of containers) {
      const info = await re!.docker.getContainer(c.Id).inspect();
      for (const m of info.Mounts) {
        assert.ok(
          m.Type === 'volume' || m.Type === 'tmpfs' || engineSide.some((p) => m.Source === p || m.Source.startsWith(p)),
          `${info.Name} (${c.Labels['airlock.role']}) mounts ${m.Type} ${m.Source} -> ${m.Destination}`,
        );
        assert.ok(!m.Source.startsWith(ws) && !m.Source.startsWith(base), `${info.Name} mounts the host's ${m.Source}`);
      }
    }
    for (const c of sandboxes) {
      const ws = (await re!.docker.getContainer(c.Id).inspect()).Mounts.find((m) => m.Destination === '/workspace');
      assert.ok(
        ws?.Source.startsWith(`${re!.dataRoot}/volumes/airlock-ws-`),
        `the sandbox's /workspace is the snapshot volume: ${ws?.Source}`,
      );
    }
    const kernel = await re!.docker.getContainer(containers.find((c) => c.Labels['airlock.role'] === 'kernel')!.Id).inspect();
    assert.deepEqual(
      kernel.Mounts.filter((m) => m.Type === 'volume')
        .map((m) => m.Destination)
        .sort(),
      ['/outputs', '/run/airlock', '/state', '/workspace'],
    );
    assert.equal(kernel.Mounts.find((m) => m.Destination === '/workspace')!.RW, false);
  });

  it('keeps an intact audit log: `audit verify` asks the remote kernel; the file itself verifies where the engine keeps it', async () => {
    assert.match(cli(['audit', 'verify']), /^intact: \d+ entries/);
    // The same check from the files in the state volume (readable here only because this engine's host is this machine).
    const vols = await re!.docker.listVolumes({ filters: { label: ['airlock.role=remote-state'] } });
    assert.equal(vols.Volumes.length, 1);
    const state = vols.Volumes[0].Mountpoint;
    assert.match(
      cli(['audit', 'verify', '--db', path.join(state, 'audit.db'), '--key', path.join(state, 'keys', 'audit.key')]),
      /^intact: \d+ entries/,
    );
  });
});
