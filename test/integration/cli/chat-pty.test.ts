// `airlock chat` in a real pseudo-terminal (util-linux `script` allocates it; readline sees a TTY, Ctrl+C is the byte
// 0x03 the terminal sends): the shipped dist/cli.js against the real kernel on Docker, with replayed models. Also
// `airlock run --json`, the scriptable direct mode.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import { assets } from '../../../protocol/src/node/assets';
import { call, fin, readTree, sampleWorkspace, text, usage, writeReplay } from '../agent/helpers';

const SGR = /\x1b\[[0-9;]*m/;
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\r/g;

interface Pty {
  send(s: string): void;
  /** The first match of `re` in the output after offset `from`, ANSI sequences and CRs removed. */
  waitFor(re: RegExp, from?: number): Promise<RegExpExecArray>;
  mark(): number;
  raw(): string;
  exited: Promise<number | null>;
}

describe('airlock chat in a pseudo-terminal (shipped CLI, real kernel)', function () {
  this.timeout(300_000);
  const root = assets().root;
  const cli = path.join(root, 'dist', 'cli.js');
  const { base, workspace } = sampleWorkspace();
  const stateRoot = path.join(base, 'state');
  const docker = new Docker();
  let pristine: Record<string, string>;

  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, AIRLOCK_STATE_ROOT: stateRoot, TERM: 'xterm-256color', ...extra };
    for (const k of ['NO_COLOR', 'AIRLOCK_VERBOSE']) if (!(k in extra)) delete e[k];
    return e;
  };
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

  /** `node dist/cli.js chat ...` on the slave side of a new pty, 120 columns wide; we hold the master through `script`. */
  function chat(replay: string, extraEnv: NodeJS.ProcessEnv = {}): Pty {
    const cmd =
      `stty cols 120 rows 40 && exec ${q(process.execPath)} ${q(cli)} chat --workspace ${q(workspace)} ` +
      `--replay ${q(path.join(workspace, replay))}`;
    const p = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], { cwd: base, env: env(extraEnv), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c) => {
      out += String(c);
    });
    p.stderr.on('data', (c) => {
      out += String(c);
    });
    const exited = new Promise<number | null>((r) => p.on('close', r));
    let closed = false;
    void exited.then(() => {
      closed = true;
    });
    return {
      send: (s) => p.stdin.write(s),
      mark: () => out.length,
      raw: () => out,
      exited,
      waitFor: (re, from = 0) =>
        new Promise((resolve, reject) => {
          const t0 = Date.now();
          const tick = () => {
            const m = re.exec(out.slice(from).replace(ANSI, ''));
            if (m) return resolve(m);
            const seen = out.replace(ANSI, '').slice(-3000);
            if (closed || Date.now() - t0 > 120_000) return reject(new Error(`no ${re} yet${closed ? ' (it exited)' : ''}:\n${seen}`));
            setTimeout(tick, 50);
          };
          tick();
        }),
    };
  }
  const airlock = (args: string[]) =>
    spawnSync(process.execPath, [cli, ...args, '--workspace', workspace], { cwd: base, env: env(), encoding: 'utf8' });
  const sandboxesOf = async (taskId: string) => docker.listContainers({ all: true, filters: { volume: [`airlock-out-${taskId}`] } });
  const untilRunning = async (taskId: string) => {
    for (let i = 0; i < 300 && (await sandboxesOf(taskId)).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await sandboxesOf(taskId)).length, 1, 'the long command runs in its sandbox');
  };

  before(() => {
    const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), 'cli'], { cwd: root, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    assert.ok(fs.existsSync(path.join(root, 'dist', 'kernel', 'kernel.js')), 'npm run build first');
    // Strict mode asks before every write: the first is denied with a reason, the model tries again and is allowed.
    writeReplay(workspace, 'write', [
      [
        text('## Plan\nI will **write** the `CHANGELOG.md`:\n- one line\n'),
        ...call(0, 'w1', 'fs.write', { path: 'CHANGELOG.md', content: 'v1\n' }),
        usage(100, 20),
        fin('tool-calls'),
      ],
      [text('Trying again.\n'), ...call(0, 'w2', 'fs.write', { path: 'CHANGELOG.md', content: 'v2\n' }), usage(120, 20), fin('tool-calls')],
      [text('Wrote **CHANGELOG.md**.\n'), usage(150, 10), fin('stop')],
    ]);
    writeReplay(workspace, 'notes', [
      [...call(0, 'n1', 'fs.write', { path: 'NOTES.md', content: 'one\n' }), usage(30, 5), fin('tool-calls')],
      [...call(0, 'n2', 'fs.write', { path: 'NOTES.md', content: 'two\n' }), usage(40, 5), fin('tool-calls')],
      [text('Noted.'), usage(50, 5), fin('stop')],
    ]);
    writeReplay(workspace, 'slow', [
      [
        text('Running a long command.\n'),
        ...call(0, 'x1', 'exec', { argv: ['node', '-e', 'setTimeout(() => {}, 120000)'] }),
        usage(10, 5),
        fin('tool-calls'),
      ],
      [text('never reached'), fin('stop')],
    ]);
    pristine = readTree(workspace);
  });
  after(async () => {
    const label = `airlock.workspace=${fs.realpathSync(workspace)}`;
    const filters = { label: [label] };
    for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true });
    for (const v of (await docker.listVolumes({ filters })).Volumes ?? [])
      await docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined);
    fs.rmSync(base, { recursive: true, force: true });
  });

  it("approvals inline (a deny's reason reaches the audit log, then allow), /model, /cost, /review, /merge, /exit", async () => {
    const t = chat('.replays/write.jsonl');
    await t.waitFor(/\/help lists the commands/);
    t.send('/model replay-model-7\r');
    await t.waitFor(/model: replay-model-7/);
    t.send('write the changelog\r');
    const [, taskId] = await t.waitFor(/airlock: task (task_\w+) \(replay, replay-model-7, /);
    await t.waitFor(/\? approval needed: fs\.write CHANGELOG\.md[^\n]*\n.*allow\?.*\[y\] once/);
    let m = t.mark();
    t.send('n\r');
    await t.waitFor(/reason for the agent/, m);
    t.send('keep the changelog at v2\r');
    // The model's retry can be asked in the same output chunk as the deny: look for the second question after it.
    await t.waitFor(/✗ denied: keep the changelog at v2[^]*allow\?/, m);
    m = t.mark();
    t.send('y\r');
    await t.waitFor(/✓ allowed once/, m);
    const [, setId] = await t.waitFor(/\[completed\][^]*Patch set (ps_\w+): 1 file/, m);
    // Markdown: the heading was redrawn bold once its line was complete; the model's text streamed first.
    assert.ok(t.raw().includes('## Plan'), 'the raw tokens streamed');
    const styled = ['\x1b[1mPlan\x1b[0m', '\x1b[1mwrite\x1b[0m', '\x1b[36mCHANGELOG.md\x1b[0m'];
    for (const s of styled) assert.ok(t.raw().includes(s), JSON.stringify(s));
    m = t.mark();
    t.send('/cost\r');
    await t.waitFor(/this chat: 1 task\(s\), 420 tokens, \$0\.0000/, m);
    m = t.mark();
    t.send('/review\r');
    await t.waitFor(new RegExp(`${setId} \\(pending, overlay\\) 1 files[^]*A CHANGELOG\\.md[^]*@@ -1,0 \\+1,1 @@[^]*\\+v2`), m);
    assert.ok(t.raw().slice(m).includes('\x1b[32m+v2\x1b[0m'), 'the diff is coloured on a terminal');
    assert.deepEqual(readTree(workspace), pristine, 'nothing merged yet: the workspace is unchanged');
    m = t.mark();
    t.send('/merge\r');
    await t.waitFor(new RegExp(`accepted 1 item\\(s\\) of ${setId}[^]*merged 1 file\\(s\\) of ${setId} as \\w+; set is merged`), m);
    t.send('/exit\r');
    assert.equal(await t.exited, 0);
    assert.deepEqual(readTree(workspace), { ...pristine, 'CHANGELOG.md': 'v2\n' }, '/merge wrote the set through the host applier');

    const audit = airlock(['audit', 'export', '--format', 'jsonl', '--session', taskId!, '--action', 'task.approve']);
    assert.equal(audit.status, 0, audit.stderr);
    const answers = audit.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { decision: string; payload: { note?: string } });
    assert.deepEqual(
      answers.map((a) => [a.decision, a.payload.note]),
      [
        ['deny', 'keep the changelog at v2'],
        ['allow', undefined],
      ],
    );
    const history = fs.readFileSync(path.join(stateRoot, 'chat_history'), 'utf8');
    assert.equal(history, '/model replay-model-7\nwrite the changelog\n/cost\n/review\n/merge\n/exit\n', 'answers are not history');
  });

  it('/stop stops a long command; Ctrl+C stops one and a second quits; history from the last run, never a key; NO_COLOR', async () => {
    const t = chat('.replays/slow.jsonl', { NO_COLOR: '1' });
    await t.waitFor(/\/help lists the commands/);
    let m = t.mark();
    t.send('\x1b[A');
    await t.waitFor(/> \/exit/, m); // ↑ recalls the last line of the previous chat
    t.send('\x15/note OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123\r');
    await t.waitFor(/unknown command \/note/, m);
    t.send('/mode explore\r');
    await t.waitFor(/mode: explore/, m);
    t.send('do something slow\r');
    const [, first] = await t.waitFor(/airlock: task (task_\w+) \(replay, replay, explore mode\)[^]*→ exec node -e/, m);
    await untilRunning(first!);
    m = t.mark();
    t.send('/stop\r');
    await t.waitFor(/stopping the task[^]*\[cancelled\]/, m);
    assert.deepEqual(await sandboxesOf(first!), [], 'the sandbox is gone');
    t.send('/sessions\r');
    await t.waitFor(new RegExp(`${first} .* cancelled`), m);
    m = t.mark();
    t.send('slow again\r');
    const [, second] = await t.waitFor(/airlock: task (task_\w+) [^]*→ exec node -e/, m);
    await untilRunning(second!);
    t.send('\x03');
    await t.waitFor(/stopping the task task_\w+ \(Ctrl\+C again within 2 s quits\)/, m);
    t.send('\x03');
    assert.equal(await t.exited, 130);
    assert.ok(!SGR.test(t.raw()), 'NO_COLOR: no colour anywhere');
    const sessions = airlock(['sessions', 'list', '--json']);
    assert.equal(sessions.status, 0, sessions.stderr);
    const listed = JSON.parse(sessions.stdout) as Array<{ taskId: string; status: string | null }>;
    const byId = new Map(listed.map((s) => [s.taskId, s.status]));
    assert.equal(byId.get(first!), 'cancelled');
    assert.equal(byId.get(second!), 'cancelled', 'the first Ctrl+C cancelled the task before the chat quit');
    assert.deepEqual(await sandboxesOf(second!), []);
    // One chat is one conversation: the second turn continued the first turn's workflow session (as VS Code's chat does).
    const opened = [first!, second!].map((id) => {
      const r = airlock(['audit', 'export', '--format', 'jsonl', '--session', id, '--action', 'workflow.start']);
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout.trim().split('\n')[0]!) as { payload: { sessionId: string; resumed: boolean } };
    });
    assert.equal(opened[1]!.payload.sessionId, opened[0]!.payload.sessionId, JSON.stringify(opened));
    assert.equal(opened[1]!.payload.resumed, true);
    const history = fs.readFileSync(path.join(stateRoot, 'chat_history'), 'utf8');
    assert.ok(history.endsWith('/mode explore\ndo something slow\n/stop\n/sessions\nslow again\n'), history);
    assert.ok(!history.includes('sk-proj') && !history.includes('/note'), 'a line that looks like a key is never kept');
  });

  it('airlock run --json: stdout is task events as JSON lines and a result; the exit code says how it ended', async () => {
    const r = spawnSync(
      process.execPath,
      [cli, 'run', 'take notes', '--json', '--yes', '--replay', path.join(workspace, '.replays/notes.jsonl'), '--workspace', workspace],
      { cwd: base, env: env(), encoding: 'utf8', input: '' },
    );
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; taskId: string; [k: string]: unknown });
    const taskId = lines[0]!.taskId;
    assert.ok(lines.every((l) => l.taskId === taskId));
    assert.deepEqual(
      lines.filter((l) => l.type === 'tool-call' || l.type === 'approval-request').map((l) => l.type),
      ['tool-call', 'approval-request', 'tool-call', 'approval-request'],
    );
    assert.equal(lines.at(-2)!.type, 'finished');
    const result = lines.at(-1)!;
    assert.equal(result.type, 'result');
    assert.equal(result.status, 'completed');
    assert.equal(result.exitCode, 0);
    assert.equal(result.totalTokens, 135);
    assert.match(String(result.setId), /^ps_/);
    assert.match(r.stderr, /Patch set ps_\w+: 1 file/, 'the human summary goes to stderr');
  });
});
