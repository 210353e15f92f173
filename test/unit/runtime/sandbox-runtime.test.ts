// sandbox.runtime (runc | runsc): from the configuration to the kernel's env, the container spec and HostConfig.Runtime;
// runsc the engine lacks is refused before anything is created, never replaced by runc.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { resolveConfig } from '../../../core/src/config/resolve';
import { assertRuntimeRegistered, sandboxRuntimeFromEnv } from '../../../core/src/config/sandbox-runtime';
import { loadTemplates } from '../../../core/src/templates';
import { DockerRuntime } from '../../../kernel/src/runtime/docker';
import { containerSpec, RUNSC_PIDS_HEADROOM } from '../../../kernel/src/runtime/sandbox-spec';
import type { ContainerSpec } from '../../../kernel/src/runtime/types';
import { assertTravelsToKernel } from '../bootstrap/kernel-options';

function setup(files: Record<string, string> = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-rt-'));
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), text);
  }
  fs.mkdirSync(path.join(root, 'ws'), { recursive: true });
  const env = { HOME: root, AIRLOCK_CONFIG_FILE: path.join(root, 'user.yaml'), AIRLOCK_MANAGED_EXTRA: path.join(root, 'managed.yaml') };
  return { ws: path.join(root, 'ws'), env };
}

/** A DockerRuntime whose engine is a recording fake: /info lists `runtimes`, creates are remembered. */
function fakeEngine(runtimes: string[]) {
  const rt = new DockerRuntime('/nonexistent/docker.sock');
  const created: Docker.ContainerCreateOptions[] = [];
  let infos = 0;
  const docker = {
    info: async () => {
      infos++;
      return { Runtimes: Object.fromEntries(runtimes.map((r) => [r, { path: `/usr/bin/${r}` }])) };
    },
    createContainer: async (o: Docker.ContainerCreateOptions) => {
      created.push(o);
      return { id: `c${created.length}` };
    },
  };
  Object.assign(rt, { docker });
  return { rt, created, infos: () => infos };
}

describe('sandbox.runtime', () => {
  const t = loadTemplates(undefined, '1000:1000').get('code-executor')!;
  const spec = (runtime?: 'runc' | 'runsc'): ContainerSpec =>
    containerSpec({ id: 'sbx-0123456789', template: t, image: 'img', deadline: 1, labels: {}, mounts: [], tmpfs: {}, runtime });

  it('is runc by default, runsc from the user file or AIRLOCK_SANDBOX_RUNTIME, never from a workspace file', () => {
    const a = setup();
    assert.equal(resolveConfig({ workspace: a.ws, env: a.env }).values['sandbox.runtime'], 'runc');
    const fromEnv = resolveConfig({ workspace: a.ws, env: { ...a.env, AIRLOCK_SANDBOX_RUNTIME: 'runsc' } });
    assert.equal(fromEnv.values['sandbox.runtime'], 'runsc');
    const b = setup({ 'user.yaml': 'sandbox:\n  runtime: runsc\n', 'ws/.airlock/config.yaml': 'sandbox.runtime: runc\n' });
    const r = resolveConfig({ workspace: b.ws, env: b.env });
    assert.equal(r.values['sandbox.runtime'], 'runsc', 'a cloned repository cannot take gVisor away');
    assert.equal(r.explain['sandbox.runtime'].candidates.find((c) => c.layer === 'workspace')?.status, 'not-settable-here');
    const bad = resolveConfig({ workspace: a.ws, env: { ...a.env, AIRLOCK_SANDBOX_RUNTIME: 'kata' } });
    assert.ok(
      bad.errors.some((e) => /sandbox\.runtime/.test(e)),
      bad.errors.join('\n'),
    );
  });

  it('travels to the kernel container as AIRLOCK_SANDBOX_RUNTIME (and a change replaces the kernel)', () => {
    const { ws, env } = setup();
    assertTravelsToKernel(ws, env, 'AIRLOCK_SANDBOX_RUNTIME', 'runsc', 'runc');
  });

  it('the kernel reads it from its environment; unknown values are refused, not treated as runc', () => {
    assert.equal(sandboxRuntimeFromEnv({}), 'runc');
    assert.equal(sandboxRuntimeFromEnv({ AIRLOCK_SANDBOX_RUNTIME: 'runsc' }), 'runsc');
    assert.throws(
      () => sandboxRuntimeFromEnv({ AIRLOCK_SANDBOX_RUNTIME: 'gvisor' }),
      (e: { code?: string }) => e.code === 'CONFIG_INVALID',
    );
  });

  it("under runsc the agent starts on the image's readable node under the engine's init, with pids headroom for gVisor", () => {
    const runc = spec('runc');
    const runsc = spec('runsc');
    assert.equal(runc.cmd[0], 'tini');
    assert.equal(runc.init, false);
    assert.equal(runc.pidsLimit, t.limits.pids);
    assert.deepEqual([runsc.cmd[0], runsc.cmd[1], runsc.init, runsc.runtime], ['node', '-e', true, 'runsc']);
    assert.equal(runsc.pidsLimit, t.limits.pids + RUNSC_PIDS_HEADROOM);
  });

  it('runsc sets HostConfig.Runtime after checking the engine has it; runc leaves the engine default and asks nothing', async () => {
    const e = fakeEngine(['runc', 'runsc']);
    await e.rt.createContainer(spec('runsc'));
    await e.rt.createContainer(spec('runsc'));
    assert.equal(e.created[0].HostConfig!.Runtime, 'runsc');
    assert.equal(e.infos(), 1, 'asked once, then remembered');
    const c = fakeEngine(['runc']);
    await c.rt.createContainer(spec('runc'));
    await c.rt.createContainer(spec());
    assert.deepEqual(
      c.created.map((o) => o.HostConfig!.Runtime),
      [undefined, undefined],
    );
    assert.equal(c.infos(), 0);
  });

  it('runsc the engine does not have: a clear error naming daemon.json runtimes, and no container created', async () => {
    const e = fakeEngine(['io.containerd.runc.v2', 'runc']);
    await assert.rejects(e.rt.createContainer(spec('runsc')), (err: { code?: string; message: string; hint?: string }) => {
      assert.equal(err.code, 'SANDBOX_RUNTIME_MISSING');
      assert.match(err.message, /no runtime named runsc \(it has: io\.containerd\.runc\.v2, runc\)/);
      assert.match(err.hint ?? '', /daemon\.json .*"runtimes".*"runsc"/);
      return true;
    });
    assert.equal(e.created.length, 0);
  });

  it('names containers.conf for Podman', () => {
    assert.throws(
      () => assertRuntimeRegistered('runsc', ['crun'], { kind: 'podman', socket: '/run/podman/podman.sock' }),
      (e: { hint?: string }) => /containers\.conf/.test(e.hint ?? ''),
    );
    assertRuntimeRegistered('runc', [], { kind: 'docker', socket: '/x' });
  });
});
