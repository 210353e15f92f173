// Real engines: every template runs its workload; a code-executor contains escape attempts; orphans are swept.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRuntime } from '../../../kernel/src/runtime/detect';
import type { SandboxTransition } from '../../../kernel/src/runtime/lifecycle';
import { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import { loadTemplates } from '../../../core/src/templates';
import { LABEL, type EngineKind } from '../../../kernel/src/runtime/types';
import { ensureSandboxImages } from '../../../templates/builder/sandbox-images';
import { escapeAttempts, patchModeOutput } from './escape-suite';

/** These tests model a workspace owned by uid 1000: bootstrap then runs the kernel and its sandboxes as 1000:1000. */
const WORKSPACE_USER = '1000:1000';

const SOCKETS: Record<EngineKind, string> = { docker: '/var/run/docker.sock', podman: '/run/podman/podman.sock' };

for (const engine of ['docker', 'podman'] as const) {
  describe(`sandboxes on ${engine}`, function () {
    this.timeout(180_000);
    let m: SandboxManager;
    let ws: string;
    const audit: SandboxTransition[] = [];

    before(async () => {
      ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-ws-'));
      fs.chmodSync(ws, 0o755); // the sandbox user (uid 1000) reads it like any workspace
      fs.writeFileSync(path.join(ws, 'README.md'), 'original\n');
      await ensureSandboxImages({ engine, socketPath: SOCKETS[engine] });
      m = new SandboxManager({
        runtime: createRuntime(engine),
        templates: loadTemplates(undefined, WORKSPACE_USER),
        workspaceHost: ws,
        audit: { record: (t) => audit.push(t) },
      });
      await m.start();
    });
    after(async () => {
      await m?.shutdown();
      fs.rmSync(ws, { recursive: true, force: true });
    });

    for (const name of ['ai-provider', 'code-executor', 'policy-sandbox', 'integration-test']) {
      it(`${name} runs its workload and is destroyed cleanly`, async () => {
        const s = await m.create({ template: name });
        assert.equal(s.state, 'ready');
        const t = m.template(name);
        const r = await m.exec(s.id, { argv: t.check.argv });
        assert.equal(r.exitCode, 0, r.stderr);
        assert.equal(r.stdout, t.check.expect);
        const labels = (await m.runtime.inspect(s.containerId!)).labels;
        assert.equal(labels[LABEL.owner], 'airlock');
        assert.equal(labels[LABEL.session], m.session);
        assert.equal(labels[LABEL.template], name);
        await m.destroy(s.id);
        await assert.rejects(m.runtime.inspect(s.containerId!), /no such container|not found/i);
        const mine = audit.filter((a) => a.sandboxId === s.id).map((a) => a.to);
        assert.deepEqual(mine, ['creating', 'ready', 'running', 'ready', 'stopping', 'destroyed']);
      });
    }

    escapeAttempts(() => ({ m, ws }));

    it('docker-exec path gives the same result (the agent is the default because it is faster)', async () => {
      const s = await m.create({ template: 'code-executor' });
      const a = await m.exec(s.id, { argv: ['sh', '-c', 'echo $((6*7)); exit 3'] });
      const d = await m.exec(s.id, { argv: ['sh', '-c', 'echo $((6*7)); exit 3'] }, { via: 'docker-exec' });
      assert.deepEqual([a.via, a.stdout, a.exitCode], ['agent', '42\n', 3]);
      assert.deepEqual([d.via, d.stdout, d.exitCode], ['docker-exec', '42\n', 3]);
      await m.destroy(s.id);
    });

    patchModeOutput(() => ({ m, ws }));

    it('a scratch volume from the volume pool is writable by the sandbox user; the workspace stays read-only', async () => {
      const vm = new SandboxManager({
        runtime: createRuntime(engine),
        templates: loadTemplates(undefined, WORKSPACE_USER),
        workspaceHost: ws,
        session: m.session,
        volumePoolSize: 1,
        volumeSize: '1m',
      });
      try {
        await vm.start();
        await waitFor(() => vm.volumePool.available === 1);
        const pooled = (await vm.runtime.listVolumes({ [LABEL.role]: 'scratch', [LABEL.session]: m.session })).map((v) => v.name);
        const s = await vm.create({ template: 'code-executor', volumes: ['/scratch'] });
        assert.ok(pooled.includes(s.mounts.find((x) => x.target === '/scratch')!.source)); // taken from the pool
        const r = await vm.exec(s.id, {
          argv: [
            'sh',
            '-c',
            'id -u && echo hello > /scratch/f && mkdir /scratch/d && echo deep > /scratch/d/g && cat /scratch/f /scratch/d/g && stat -c %u /scratch/f',
          ],
        });
        assert.equal(r.exitCode, 0, r.stderr);
        assert.equal(r.stdout, '1000\nhello\ndeep\n1000\n');
        const ro = await vm.exec(s.id, { argv: ['sh', '-c', 'echo x > /workspace/README.md'] });
        assert.notEqual(ro.exitCode, 0);
        assert.match(ro.stderr, /read-only/i);
        assert.equal(fs.readFileSync(path.join(ws, 'README.md'), 'utf8'), 'original\n');
        const big = await vm.exec(s.id, { argv: ['sh', '-c', 'head -c 2000000 /dev/zero > /scratch/big'] });
        assert.match(big.stderr, /no space/i); // the 1m quota holds
      } finally {
        await vm.shutdown();
      }
    });

    it('kills a sandbox at its deadline and reports why', async () => {
      const s = await m.create({ template: 'policy-sandbox', deadlineSeconds: 1 });
      await new Promise((r) => setTimeout(r, 2500));
      const trail = audit.filter((a) => a.sandboxId === s.id);
      assert.deepEqual(
        trail.slice(-3).map((a) => a.to),
        ['failed', 'stopping', 'destroyed'],
      );
      assert.match(trail.at(-3)!.reason ?? '', /deadline/);
      await assert.rejects(m.runtime.inspect(s.containerId!));
    });

    it('warm pool hands out a ready sandbox at once and refills', async () => {
      const pm = new SandboxManager({
        runtime: createRuntime(engine),
        templates: loadTemplates(undefined, WORKSPACE_USER),
        pools: true,
        session: m.session,
      });
      try {
        await pm.start();
        await waitFor(() => pm.list().filter((s) => s.template === 'policy-sandbox' && s.state === 'ready').length === 1);
        const before = pm.list().find((s) => s.template === 'policy-sandbox')!.id;
        const s = await pm.create({ template: 'policy-sandbox' });
        assert.equal(s.id, before);
        await waitFor(() => pm.list().filter((x) => x.template === 'policy-sandbox' && x.id !== s.id && x.state === 'ready').length === 1);
      } finally {
        await pm.shutdown();
      }
    });

    it('sweeps the sandboxes and volumes of a kernel killed with kill -9', async () => {
      const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'fixtures', 'holder.ts'), engine], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (b: Buffer) => resolve(b.toString()));
        child.once('exit', (c) => reject(new Error(`holder exited ${c}`)));
      });
      const { containerId, volume } = JSON.parse(line) as { containerId: string; volume: string };
      assert.equal((await m.runtime.inspect(containerId)).running, true);
      assert.equal((await m.sweep()).containers.includes(containerId), false, 'a live holder is left alone');
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const swept = await m.sweep();
      assert.ok(swept.containers.includes(containerId));
      assert.ok(swept.volumes.includes(volume));
      await assert.rejects(m.runtime.inspect(containerId));
    });
  });
}

async function waitFor(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
