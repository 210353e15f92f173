// gVisor: sandbox.runtime runsc on a second, private dockerd that registers runsc: the escape suite, every template, the
// output volume; and an engine without runsc refuses the sandbox instead of starting it under runc.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadTemplates } from '../../../core/src/templates';
import { createRuntime } from '../../../kernel/src/runtime/detect';
import { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import { LABEL } from '../../../kernel/src/runtime/types';
import { escapeAttempts, patchModeOutput } from './escape-suite';
import { startRunscEngine, type RunscEngine } from './runsc-engine';

const WORKSPACE_USER = '1000:1000';

describe('sandboxes under gVisor (runsc) on a second dockerd', function () {
  this.timeout(600_000);
  let engine: RunscEngine;
  let m: SandboxManager;
  let ws: string;

  before(async () => {
    engine = await startRunscEngine(); // registers runsc exactly as docs/sandboxes.md says
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-ws-'));
    fs.chmodSync(ws, 0o755);
    fs.writeFileSync(path.join(ws, 'README.md'), 'original\n');
    m = new SandboxManager({
      runtime: createRuntime('docker', engine.socket),
      templates: loadTemplates(undefined, WORKSPACE_USER),
      workspaceHost: ws,
      sandboxRuntime: 'runsc',
    });
    await m.start();
  });
  after(async () => {
    await m?.shutdown();
    await engine?.stop();
    if (ws) fs.rmSync(ws, { recursive: true, force: true });
  });

  it("runs under runsc: the engine records the runtime and the sandbox sees gVisor's kernel, not the host's", async () => {
    const s = await m.create({ template: 'code-executor' });
    const info = await engine.docker.getContainer(s.containerId!).inspect();
    assert.equal(info.HostConfig.Runtime, 'runsc');
    const r = await m.exec(s.id, { argv: ['sh', '-c', 'uname -r; dmesg 2>/dev/null | head -1 || true'] });
    const [release] = r.stdout.split('\n');
    assert.notEqual(release, os.release(), 'the sandbox must not share the host kernel');
    assert.equal(release, '4.4.0'); // what gVisor's Sentry reports
    await m.destroy(s.id);
  });

  for (const name of ['ai-provider', 'code-executor', 'policy-sandbox', 'integration-test']) {
    it(`${name} runs its workload under runsc`, async () => {
      const s = await m.create({ template: name });
      const t = m.template(name);
      const r = await m.exec(s.id, { argv: t.check.argv });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stdout, t.check.expect);
      assert.equal((await engine.docker.getContainer(s.containerId!).inspect()).HostConfig.Runtime, 'runsc');
      await m.destroy(s.id);
    });
  }

  escapeAttempts(() => ({ m, ws }), 'runsc');

  patchModeOutput(() => ({ m, ws }));

  it('pause and resume (how the scheduler preempts a task) work under runsc; a command started before the pause finishes', async () => {
    const s = await m.create({ template: 'code-executor' });
    const running = m.exec(s.id, { argv: ['sh', '-c', 'sleep 1; echo done'] });
    await new Promise((r) => setTimeout(r, 200));
    await m.pause(s.id);
    assert.equal((await engine.docker.getContainer(s.containerId!).inspect()).State.Paused, true);
    await new Promise((r) => setTimeout(r, 1500));
    await m.resume(s.id);
    assert.equal((await running).stdout, 'done\n');
    await m.destroy(s.id);
  });

  it('a warm pool under runsc hands out a ready runsc sandbox', async () => {
    const pm = new SandboxManager({
      runtime: createRuntime('docker', engine.socket),
      templates: loadTemplates(undefined, WORKSPACE_USER),
      pools: true,
      session: m.session,
      sandboxRuntime: 'runsc',
    });
    try {
      await pm.start();
      const end = Date.now() + 60_000;
      while (!pm.list().some((x) => x.template === 'policy-sandbox' && x.state === 'ready')) {
        assert.ok(Date.now() < end, 'the policy-sandbox pool filled');
        await new Promise((r) => setTimeout(r, 100));
      }
      const pooled = pm.list().find((x) => x.template === 'policy-sandbox' && x.state === 'ready')!.id;
      const s = await pm.create({ template: 'policy-sandbox' });
      assert.equal(s.id, pooled);
      assert.equal((await engine.docker.getContainer(s.containerId!).inspect()).HostConfig.Runtime, 'runsc');
    } finally {
      await pm.shutdown();
    }
  });

  it('an engine without runsc refuses the sandbox (SANDBOX_RUNTIME_MISSING) and starts nothing under runc', async () => {
    // The machine's main dockerd has no runsc registered: only /info and a label-filtered list are asked of it.
    const main = createRuntime('docker');
    const names = await main.version().then(
      () => true,
      () => false,
    );
    assert.ok(names, 'the main engine answers');
    const bare = new SandboxManager({ runtime: main, templates: loadTemplates(undefined, WORKSPACE_USER), sandboxRuntime: 'runsc' });
    try {
      await assert.rejects(bare.create({ template: 'policy-sandbox' }), (e: { code?: string; message: string; hint?: string }) => {
        assert.equal(e.code, 'SANDBOX_RUNTIME_MISSING', e.message);
        assert.match(e.hint ?? '', /daemon\.json/);
        return true;
      });
      assert.deepEqual(await main.listContainers({ [LABEL.session]: bare.session }), []);
    } finally {
      await bare.shutdown();
    }
  });
});
