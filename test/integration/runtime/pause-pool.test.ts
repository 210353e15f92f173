// Real engines: sandbox pause/resume over RPC and the CLI, cancelled commands killed in the sandbox, pools after use.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { CliIO } from '../../../cli/src/command';
import { sandboxAction } from '../../../cli/src/commands/sandbox';
import { createRuntime } from '../../../kernel/src/runtime/detect';
import type { SandboxTransition } from '../../../kernel/src/runtime/lifecycle';
import { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import { loadTemplates } from '../../../core/src/templates';
import type { EngineKind } from '../../../kernel/src/runtime/types';
import { ensureSandboxImages } from '../../../templates/builder/sandbox-images';
import { inProcessKernel, type InProcessKernel } from '../../unit/kernel-harness';

const SOCKETS: Record<EngineKind, string> = { docker: '/var/run/docker.sock', podman: '/run/podman/podman.sock' };

function capture(): CliIO & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: (l) => lines.push(l), readStdin: async () => '', cwd: process.cwd(), env: {} };
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const engine of ['docker', 'podman'] as const) {
  describe(`sandbox pause/resume and pools on ${engine}`, function () {
    this.timeout(180_000);
    let k: InProcessKernel;
    let m: SandboxManager;
    const audit: SandboxTransition[] = [];

    before(async () => {
      await ensureSandboxImages({ engine, socketPath: SOCKETS[engine] });
      k = await inProcessKernel(
        { 'a.txt': 'A\n' },
        {
          runtime: (ws) =>
            (m = new SandboxManager({
              runtime: createRuntime(engine),
              templates: loadTemplates(),
              workspaceHost: ws,
              audit: { record: (t) => audit.push(t) },
            })),
        },
      );
      fs.chmodSync(k.workspace, 0o755);
    });
    after(async () => {
      await m?.shutdown();
      k?.dispose();
    });

    it('pauses a sandbox mid-command (engine State.Paused), refuses commands while a person holds it, resumes via the CLI', async () => {
      const s = await k.client.request('sandbox/create', { template: 'code-executor' });
      // A command that counts to 15 in 1.5 s: frozen by the pause, it finishes only after the resume.
      const script = 'i=0; while [ $i -lt 15 ]; do i=$((i+1)); echo $i > /tmp/n; sleep 0.1; done; echo done';
      const inFlight = k.client.request('sandbox/exec', { id: s.id, argv: ['sh', '-c', script] });
      await new Promise((r) => setTimeout(r, 400));
      const io = capture();
      assert.equal(await sandboxAction(k.client, 'pause', [s.id], io), 0);
      assert.match(io.lines[0], new RegExp(`${s.id}\\s+code-executor\\s+paused`));
      const st = await m.runtime.inspect(s.containerId!);
      assert.equal(st.paused, true);
      assert.equal((await k.client.request('sandbox/list', {})).sandboxes.find((x) => x.id === s.id)?.pausedBy, 'request');
      await assert.rejects(k.client.request('sandbox/exec', { id: s.id, argv: ['true'] }), /is paused/);
      // Frozen: two seconds later the command has still not finished.
      const raced = await Promise.race([inFlight.then(() => 'finished'), new Promise((r) => setTimeout(() => r('frozen'), 2000))]);
      assert.equal(raced, 'frozen');
      const r2 = capture();
      assert.equal(await sandboxAction(k.client, 'resume', [s.id], r2), 0);
      assert.match(r2.lines[0], /running/); // the command in flight goes on
      assert.equal((await m.runtime.inspect(s.containerId!)).paused, false);
      const r = await inFlight;
      assert.equal(r.stdout, 'done\n');
      assert.equal(m.info(s.id).state, 'ready');
      const trail = audit.filter((a) => a.sandboxId === s.id).map((a) => a.to);
      assert.deepEqual(trail.slice(-4), ['running', 'paused', 'running', 'ready']);
      await assert.rejects(k.client.request('sandbox/resume', { id: s.id }), /not paused/);
      await assert.rejects(sandboxAction(k.client, 'pause', [], capture()), /needs an id/);
      await k.client.request('sandbox/destroy', { id: s.id });
    });

    it('a cancelled command is killed with its process group inside the sandbox', async () => {
      const s = await m.create({ template: 'code-executor' });
      const count = async () => Number((await m.exec(s.id, { argv: ['sh', '-c', 'ls -d /proc/[0-9]* | wc -l'] })).stdout);
      const base = await count();
      const ac = new AbortController();
      const p = m.exec(s.id, { argv: ['sh', '-c', 'sleep 60 & sleep 60 & sleep 60'] }, { signal: ac.signal });
      await waitFor(async () => (await count()) >= base + 3);
      ac.abort(new Error('stop'));
      await assert.rejects(p, /stop/);
      await waitFor(async () => (await count()) <= base);
      await m.destroy(s.id);
    });

    it('after use a pooled sandbox is recycled (tmp cleaned) or destroyed, per its template', async () => {
      const pm = new SandboxManager({ runtime: createRuntime(engine), templates: loadTemplates(), pools: true, session: m.session });
      try {
        await pm.start();
        const readyOf = (t: string) => pm.list().filter((x) => x.template === t && x.state === 'ready');
        // policy-sandbox: pool 1, afterUse recycle.
        await waitFor(() => readyOf('policy-sandbox').length === 1);
        const a = await pm.create({ template: 'policy-sandbox' });
        await pm.exec(a.id, { argv: ['node', '-e', 'require("fs").writeFileSync("/tmp/left-over", "x")'] });
        await waitFor(() => readyOf('policy-sandbox').some((x) => x.id !== a.id)); // the pool refilled meanwhile
        const other = readyOf('policy-sandbox').find((x) => x.id !== a.id)!;
        await pm.destroy(other.id); // make room: the recycled one must go back in
        await pm.release(a.id);
        assert.equal(pm.info(a.id).state, 'ready');
        const again = await pm.create({ template: 'policy-sandbox' });
        assert.equal(again.id, a.id, 'the recycled sandbox is handed out again');
        const ls = await pm.exec(again.id, { argv: ['node', '-e', 'process.stdout.write(require("fs").readdirSync("/tmp").join(","))'] });
        assert.equal(ls.stdout, '', 'its /tmp was cleaned');
        // One made for one use (its own env here; a mount of a task's output volume the same) never goes to the pool:
        // the next caller would get that task's files or settings.
        const own = await pm.create({ template: 'policy-sandbox', env: { ONE_USE: 'secret-of-task-a' } });
        const pooled = () => readyOf('policy-sandbox').filter((x) => x.id !== again.id && x.id !== own.id);
        await waitFor(() => pooled().length === 1);
        // Room in the pool (its refill takes a container start), so only the rule keeps this one out.
        await pm.destroy(pooled()[0]!.id);
        await pm.release(own.id);
        assert.throws(() => pm.info(own.id), /no sandbox/, 'a sandbox made with its own env is destroyed after use');
        // code-executor: pool 2, afterUse destroy.
        await waitFor(() => readyOf('code-executor').length === 2);
        const c = await pm.create({ template: 'code-executor' });
        await pm.release(c.id);
        assert.throws(() => pm.info(c.id), /no sandbox/);
        await assert.rejects(pm.runtime.inspect(c.containerId!), /no such container|not found/i);
        await waitFor(() => readyOf('code-executor').length === 2);
        assert.ok(!readyOf('code-executor').some((x) => x.id === c.id));
      } finally {
        await pm.shutdown();
      }
    });
  });
}
