// A background process left in the task's sandbox swaps a file for a symlink to the kernel's own files while the model
// reads it (real kernel container, replay provider, Docker sandbox): nothing of the kernel's is returned, and the
// process does not outlive the first native read of the changed tree.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { TaskEvent } from '../../../protocol/src/agent';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import type { KernelSupervisor } from '../../../bootstrap';
import { call, fin, removeKernel, runTask, sampleWorkspace, startKernel, text, writeReplay } from './helpers';

const results = (events: TaskEvent[]) => events.flatMap((e) => (e.type === 'tool-result' ? [e.result] : []));

// Detached (its own session): the exec agent's kill of the command's process group does not reach it.
const SWAPPER = `
const fs = require('fs');
for (let i = 0; ; i++) {
  try {
    fs.writeFileSync('race/beat.tmp', String(i)); fs.renameSync('race/beat.tmp', 'race/beat');
    fs.writeFileSync('race/t.tmp', 'SAFE\\n'); fs.renameSync('race/t.tmp', 'race/target.txt');
    fs.symlinkSync('/proc/self/cmdline', 'race/l.tmp'); fs.renameSync('race/l.tmp', 'race/target.txt');
  } catch {}
}`;
const START = `fs = require('fs'); fs.mkdirSync('race', { recursive: true });
require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(SWAPPER)}], { detached: true, stdio: 'ignore' }).unref();
setTimeout(() => console.log('beat', Number(fs.readFileSync('race/beat', 'utf8')) > 0), 1500);`;
const CHECK = `fs = require('fs'); const a = fs.existsSync('race/beat') && fs.readFileSync('race/beat', 'utf8');
setTimeout(() => console.log(a === (fs.existsSync('race/beat') && fs.readFileSync('race/beat', 'utf8')) ? 'still' : 'moving'), 1000);`;

describe('native reads race a background sandbox process (real kernel, Docker sandbox)', function () {
  this.timeout(300_000);
  let sup: KernelSupervisor;
  let client: RpcClient;
  let base: string;
  const READS = 24;

  before(async () => {
    let workspace: string;
    ({ base, workspace } = sampleWorkspace());
    writeReplay(workspace, 'race', [
      [text('Starting a helper.'), ...call(0, 'r0', 'exec', { argv: ['node', '-e', START] }), fin('tool-calls')],
      [...Array.from({ length: READS }, (_, i) => call(i, `r${i + 1}`, 'fs.read', { path: 'race/target.txt' })).flat(), fin('tool-calls')],
      [...call(0, 'c1', 'exec', { argv: ['node', '-e', CHECK] }), fin('tool-calls')],
      [text('Done.'), fin('stop')],
    ]);
    // In the workspace too (the sandbox's helper swaps the task's copy of it).
    fs.mkdirSync(`${workspace}/race`, { mode: 0o777 });
    fs.chmodSync(`${workspace}/race`, 0o777);
    fs.writeFileSync(`${workspace}/race/target.txt`, 'SAFE\n');
    fs.chmodSync(workspace, 0o777);
    sup = await startKernel(workspace, `${base}/state`);
    client = await sup.ready();
  });
  after(async () => {
    if (sup) await removeKernel(sup);
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('every read is the sandbox file or "is a symlink", never the kernel\'s; the helper is gone after the first read', async () => {
    const run = await runTask(client, { prompt: 'Read the race file', replay: '.replays/race.jsonl', mode: 'explore' });
    const done = await run.finished;
    const rs = results(run.events);
    assert.equal(rs.length, READS + 2, done.message);
    const [start, ...rest] = rs;
    assert.match(start.content, /beat true/, `the background process was running: ${start.content.slice(0, 500)}`);
    const reads = rest.slice(0, READS),
      check = rest[READS];
    for (const r of reads) {
      assert.ok(!/airlock|kernel|main\.js|node/.test(r.content), `a read returned the kernel's data: ${r.content.slice(0, 200)}`);
      assert.ok(
        r.ok ? /^1\tSAFE/.test(r.content) : /FS_SYMLINK|is a symlink to "\/proc\/self\/cmdline"/.test(r.content),
        r.content.slice(0, 200),
      );
    }
    // The first read destroyed the sandbox: the next command runs in a fresh one, where the helper is not running.
    assert.match(check.content, /still/, check.content);
  });
});
