// Memory pressure (docker): the kernel container over its memory limit (kernel.memory) is OOM-killed by the engine;
// bootstrap restarts it and says why, and nothing acknowledged is lost (fault-harness.ts checks as after a SIGKILL).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KernelSupervisor } from '../../../bootstrap';
import { call, fin, removeKernel, runTask, sampleWorkspace, text, writeReplay } from '../agent/helpers';
import { checkAfterKill, removeAll, snapshot, treeHash, until } from './fault-harness';

describe('memory pressure: the kernel over its memory limit (docker)', function () {
  this.timeout(600_000);

  it('is OOM-killed, restarted with the reason said, and loses nothing acknowledged', async () => {
    const { base, workspace } = sampleWorkspace();
    writeReplay(workspace, 'long', [
      [text('Running it.'), ...call(0, 'l1', 'exec', { argv: ['node', '-e', 'setTimeout(() => {}, 120000)'] }), fin('tool-calls')],
      [text('done'), fin('stop')],
    ]);
    const pristine = treeHash(workspace);
    const logs: string[] = [];
    const sup = await KernelSupervisor.start(
      {
        workspace,
        stateRoot: path.join(base, 'state'),
        runtime: 'docker',
        maxRestarts: 10,
        memoryBytes: 256 * 1024 ** 2,
        outputsSize: '32m',
      },
      { log: (l) => logs.push(l) },
    );
    try {
      const client = await sup.ready();
      const kernel = sup.engine.docker.getContainer(`airlock-kernel-${sup.paths.id}`);
      const limit = (await kernel.inspect()).HostConfig.Memory ?? 0;
      assert.equal(limit, (256 + 32) * 1024 ** 2, "kernel.memory plus the outputs tmpfs is the container's limit");
      const run = await runTask(client, { prompt: 'long', replay: '.replays/long.jsonl', mode: 'explore' });
      await run.waitFor((e) => e.type === 'tool-call');
      const before = await snapshot(client, workspace);
      // Memory pressure in the kernel's cgroup: a process exec'd into the container allocates past the limit, and the
      // kernel is made the OOM killer's first choice (as it is when it is the one that grew), so the engine kills it.
      fs.writeFileSync(`/proc/${(await kernel.inspect()).State.Pid}/oom_score_adj`, '1000');
      const hog = await kernel.exec({
        Cmd: ['node', '-e', 'const a = []; setInterval(() => { for (let i = 0; i < 8; i++) a.push(Buffer.alloc(1 << 20, 1)); }, 5)'],
      });
      await hog.start({ Detach: true });
      await until('the OOM kill', async () => (await kernel.inspect()).State.OOMKilled || sup.state.type !== 'ready', 120_000, 100);
      const after = await until(
        'the restarted kernel',
        async () => (sup.state.type === 'ready' && sup.client !== client ? sup.client : undefined),
        180_000,
        250,
      );
      assert.ok(
        logs.some((l) => /the kernel ran out of memory \(limit 256 MiB, kernel\.memory\)/.test(l)),
        logs.join('\n'),
      );
      const { sessions } = await checkAfterKill(sup, after, workspace, before, { tasks: [run.taskId], trees: [pristine] });
      assert.equal(sessions[0].status, 'failed');
      assert.match(sessions[0].message ?? '', /interrupted: the kernel stopped/);
      // The person carries on: a new task runs on the restarted kernel.
      writeReplay(workspace, 'hello', [[text('hello'), fin('stop')]]);
      const again = await runTask(after, { prompt: 'hello', replay: '.replays/hello.jsonl', mode: 'explore' });
      assert.equal((await again.finished).status, 'completed');
    } finally {
      await removeAll(sup, removeKernel);
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
