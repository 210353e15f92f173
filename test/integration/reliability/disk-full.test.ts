// Disk full (docker): the kernel's state folder on a small tmpfs, filled from the host. Writes fail closed with a
// clear error (nothing half-written: the chain verifies, every acknowledged entry stays), a task is refused rather
// than run unrecorded, and once space returns the kernel carries on without a restart.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KernelSupervisor } from '../../../bootstrap';
import type { AirlockError } from '../../../protocol/src/errors';
import { fin, removeKernel, runTask, sampleWorkspace, text, writeReplay } from '../agent/helpers';
import { allEntries, removeAll } from './fault-harness';

/** Fills the filesystem holding `dir` to the last byte; returns the filler's path. */
function fill(dir: string): string {
  const f = path.join(dir, 'filler');
  const fd = fs.openSync(f, 'w');
  const chunk = Buffer.alloc(1024 * 1024, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    for (let n = 4096; n >= 1; n = Math.floor(n / 2)) {
      try {
        for (;;) fs.writeSync(fd, chunk.subarray(0, n));
      } catch {
        /* next size */
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return f;
}

describe('disk full: the state folder on a full filesystem (docker)', function () {
  this.timeout(600_000);
  it('refuses what it cannot record, loses nothing acknowledged, and runs tasks again once space returns', async () => {
    const { base, workspace, stateRoot } = sampleWorkspace();
    fs.mkdirSync(stateRoot, { recursive: true });
    // Mounting needs root, as the engine tests have anyway.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', stateRoot]);
    const sup = await KernelSupervisor.start({ workspace, stateRoot, runtime: 'docker', maxRestarts: 5 });
    const pid = async () => (await sup.engine.docker.getContainer(`airlock-kernel-${sup.paths.id}`).inspect()).State.Pid;
    try {
      const client = await sup.ready();
      const kernelPid = await pid();
      writeReplay(workspace, 'hello', [[text('hello'), fin('stop')]]);
      const first = await runTask(client, { prompt: 'hello', replay: '.replays/hello.jsonl', mode: 'explore' });
      assert.equal((await first.finished).status, 'completed');
      const acked = await allEntries(client);
      const filler = fill(stateRoot);
      // Full: a task is refused (its start cannot be recorded), with a code and a hint that say why.
      const refused = await runTask(client, { prompt: 'hello', replay: '.replays/hello.jsonl', mode: 'explore' }).then(
        async (r) => ({ finished: await r.finished }),
        (e: AirlockError) => ({ error: e }),
      );
      assert.ok('error' in refused, `a task started on a full disk must be refused, not run: ${JSON.stringify(refused)}`);
      assert.equal(refused.error.code, 'AUDIT_WRITE_FAILED');
      assert.match(refused.error.message, /audit write failed: .*(full|SQLITE_FULL)/i);
      assert.match(refused.error.hint ?? '', /free disk space/);
      // Reads still answer, and what was acknowledged before is all there, unchanged (nothing half-written).
      const during = new Map((await allEntries(client)).map((e) => [e.seq, e.hash]));
      assert.deepEqual(
        acked.filter((e) => during.get(e.seq) !== e.hash).map((e) => e.seq),
        [],
      );
      fs.rmSync(filler);
      const again = await runTask(sup.client!, { prompt: 'hello', replay: '.replays/hello.jsonl', mode: 'explore' });
      assert.equal((await again.finished).status, 'completed');
      const after = new Map((await allEntries(sup.client!)).map((e) => [e.seq, e.hash]));
      assert.deepEqual(
        acked.filter((e) => after.get(e.seq) !== e.hash).map((e) => e.seq),
        [],
        'acknowledged entries survive',
      );
      assert.equal((await sup.client!.request('audit/verify', {})).type, 'intact');
      assert.equal(await pid(), kernelPid, 'the kernel did not restart');
    } finally {
      await removeAll(sup, removeKernel);
      execFileSync('umount', ['-l', stateRoot]);
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
