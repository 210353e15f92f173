// `airlock doctor` tells the truth: healthy only when every check passed; kernel failures with logs; sandbox images and pools.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Engine } from '../../../bootstrap';
import { doctorMain } from '../../../cli/src/commands/doctor';
import type { CliIO } from '../../../cli/src/command';
import type { Check, DoctorDeps } from '../../../cli/src/doctor/checks';
import { demuxLogs } from '../../../cli/src/doctor/logs';
import { AirlockError } from '../../../protocol/src/errors';
import type { SandboxTemplateHealth } from '../../../protocol/src/methods/sandbox';

const ENGINE = {
  kind: 'podman',
  version: '5.0.0',
  socket: '/run/podman/podman.sock',
  docker: {},
  rootless: false,
  warnings: [],
} as unknown as Engine;
const GOOD: Record<string, SandboxTemplateHealth> = {
  'code-executor': { image: 'localhost/airlock/node:abc', pool: { target: 2, ready: 2 } },
  'integration-test': { image: 'localhost/airlock/node-test:def', pool: { target: 0, ready: 0 } },
};

function fakeDeps(o: { health?: Record<string, SandboxTemplateHealth>[]; kernelError?: Error; logs?: string; workspace?: Check } = {}) {
  const health = o.health ?? [GOOD];
  let polls = 0;
  const client = {
    async request(method: string) {
      switch (method) {
        case 'kernel/ping':
          return { pong: true, time: 0 };
        case 'kernel/info':
          return {
            version: '0.1.0',
            protocol: 1,
            pid: 1,
            startedAt: 0,
            workspace: '/workspace',
            stateDir: '/state',
            inContainer: true,
            node: 'v20',
          };
        case 'sandbox/pools':
          return { sizes: {}, enabled: true, health: health[Math.min(polls++, health.length - 1)] };
        default:
          throw new Error(`unexpected ${method}`);
      }
    },
  };
  const deps: DoctorDeps = {
    detectEngine: async () => ENGINE,
    ensureImage: async () => 'localhost/airlock/kernel:123',
    startKernel: async () => {
      if (o.kernelError) throw o.kernelError;
      return { ready: async () => client as never, dispose: () => {} };
    },
    containerName: () => 'airlock-kernel-0123456789ab',
    containerLogs: async (e, name) => (o.logs !== undefined && e === ENGINE && name === 'airlock-kernel-0123456789ab' ? o.logs : undefined),
    workspaceCheck: () => o.workspace ?? { name: 'workspace', ok: true, detail: 'sandboxes can read it' },
    poolWaitMs: 5_000,
    sleep: async () => {},
  };
  return { deps, polls: () => polls };
}

async function doctor(deps: DoctorDeps, json = false, env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-doctor-'));
  const io: CliIO = {
    out: (l) => out.push(l),
    err: () => {},
    readStdin: async () => '',
    cwd: ws,
    env: { AIRLOCK_STATE_ROOT: path.join(ws, '.s'), ...env },
  };
  const code = await doctorMain(json ? ['--json'] : [], io, deps);
  return { code, text: out.join('\n'), json: json ? JSON.parse(out[0]) : undefined };
}

describe('airlock doctor', () => {
  it('is healthy, exit 0, only when every check passed', async () => {
    const r = await doctor(fakeDeps().deps);
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, /\nairlock is healthy$/);
    assert.match(r.text, /✔ images +sandbox images found for code-executor, integration-test/);
    assert.match(r.text, /✔ pools +warm pools: code-executor 2\/2 ready/);
  });

  it('a failing workspace check is never followed by "airlock is healthy"', async () => {
    const r = await doctor(
      fakeDeps({ workspace: { name: 'workspace', ok: false, detail: 'sandboxes cannot read it', hint: 'chmod o+rX' } }).deps,
    );
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.text, /airlock is healthy/);
    assert.match(r.text, /airlock is NOT healthy \(workspace\)$/);
  });

  it("a kernel that does not start: its last output and the right engine's log command under `kernel`", async () => {
    const logs = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n');
    const kernelError = new AirlockError(
      'KERNEL_START_FAILED',
      'the kernel container exited during start',
      'see its output with `airlock doctor` or `docker logs airlock-kernel-*`',
    );
    const r = await doctor(fakeDeps({ kernelError, logs }).deps);
    assert.equal(r.code, 1);
    assert.match(
      r.text,
      /✘ kernel +the kernel container exited during start\n {2}\| line 1\n[^]*\| line 20\n {2}hint: .*`podman logs airlock-kernel-0123456789ab`/,
    );
    assert.doesNotMatch(r.text, /docker logs|airlock-kernel-\*/);
    assert.match(r.text, /– images +not checked: the kernel check failed/);
    const j = (await doctor(fakeDeps({ kernelError, logs }).deps, true)).json;
    assert.equal(j.ok, false);
    assert.deepEqual(
      j.checks.map((c: Check) => [c.name, c.ok]),
      [
        ['runtime', true],
        ['image', true],
        ['kernel', false],
        ['images', false],
        ['pools', false],
        ['workspace', true],
      ],
    );
    const k = j.checks.find((c: Check) => c.name === 'kernel');
    assert.equal(k.code, 'KERNEL_START_FAILED');
    assert.equal(k.logs, logs);
    for (const c of j.checks) assert.equal(typeof c.detail, 'string');
  });

  it("a kernel container the engine refused to create: the engine's error, no log command for a container that is not there", async () => {
    const r = await doctor(fakeDeps({ kernelError: new Error('(HTTP code 400) bad parameter - No command specified') }).deps);
    assert.equal(r.code, 1);
    assert.match(
      r.text,
      /✘ kernel +\(HTTP code 400\) bad parameter - No command specified\n {2}hint: the podman engine refused the kernel container: check the kernel image/,
    );
    assert.doesNotMatch(r.text, /podman logs|\| /);
  });

  it('a missing sandbox image and a warm pool that failed to fill are failed checks', async () => {
    const missing = {
      code: 'SANDBOX_NO_IMAGE',
      message: 'no image built for template code-executor (recipe node) in podman',
      hint: 'build it: node --require tsx/cjs templates/builder/sandbox-images.ts podman',
    };
    const health = { 'code-executor': { imageError: missing, pool: { target: 2, ready: 0, error: missing.message } } };
    const r = await doctor(fakeDeps({ health: [health] }).deps);
    assert.equal(r.code, 1);
    assert.match(r.text, /✘ images +no sandbox image for code-executor \(no image built/);
    assert.match(r.text, /hint: build it: node --require tsx\/cjs templates\/builder\/sandbox-images\.ts podman/);
    assert.match(r.text, /✘ pools +warm pool failed to fill: code-executor 0\/2 ready/);
    assert.match(r.text, /airlock is NOT healthy \(images, pools\)$/);
    const j = (await doctor(fakeDeps({ health: [health] }).deps, true)).json;
    assert.deepEqual(
      j.checks.filter((c: Check) => !c.ok).map((c: Check) => [c.name, c.code]),
      [
        ['images', 'SANDBOX_NO_IMAGE'],
        ['pools', 'SANDBOX_POOL_FAILED'],
      ],
    );
  });

  it('waits for pools that are still filling, and fails one whose fill then failed', async () => {
    const filling = { 'code-executor': { image: 'i', pool: { target: 2, ready: 1 } } };
    const broke = { 'code-executor': { image: 'i', pool: { target: 2, ready: 1, error: 'OCI runtime error: pids limit' } } };
    const f = fakeDeps({ health: [filling, filling, broke] });
    const r = await doctor(f.deps);
    assert.equal(f.polls(), 3);
    assert.equal(r.code, 1);
    assert.match(r.text, /✘ pools +warm pool failed to fill: code-executor 1\/2 ready \(OCI runtime error: pids limit\)/);
  });

  it("reads the engine's framed log stream without eating length bytes that look like text", () => {
    const frame = (stream: number, s: string) => {
      const b = Buffer.from(s);
      const h = Buffer.alloc(8);
      h[0] = stream;
      h.writeUInt32BE(b.length, 4);
      return Buffer.concat([h, b]);
    };
    const line = 'x'.repeat(0x40) + '\n'; // 65 bytes: the length byte is "A"
    assert.equal(demuxLogs(Buffer.concat([frame(1, line), frame(2, 'Error: boom\n')])), `${line}Error: boom\n`);
    assert.equal(demuxLogs(Buffer.from('plain tty text\n')), 'plain tty text\n');
  });
});

describe('airlock doctor on rootless Podman', () => {
  it('says the engine is rootless and warns that cgroup v1 cannot enforce sandbox limits, without failing the check', async () => {
    const warned = {
      ...ENGINE,
      rootless: true,
      warnings: ['rootless Podman on cgroup v1 cannot enforce sandbox memory, pids and CPU limits (they are ignored)'],
    } as unknown as Engine;
    const { deps } = fakeDeps();
    const r = await doctor({ ...deps, detectEngine: async () => warned });
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, /✔ runtime +podman \(rootless\) 5\.0\.0 .*warning: rootless Podman on cgroup v1 cannot enforce/);
  });
});

describe("airlock doctor: the sandboxes' OCI runtime", () => {
  const withRuntimes = (names: string[]) =>
    ({
      ...ENGINE,
      kind: 'docker',
      socket: '/var/run/docker.sock',
      docker: { info: async () => ({ Runtimes: Object.fromEntries(names.map((n) => [n, {}])) }) },
    }) as unknown as Engine;

  it('says sandboxes use runc by default, and runsc (gVisor) when set and registered', async () => {
    const { deps } = fakeDeps();
    assert.match((await doctor(deps)).text, /✔ runtime +podman 5\.0\.0 at \/run\/podman\/podman\.sock; sandboxes: runc/);
    const r = await doctor({ ...deps, detectEngine: async () => withRuntimes(['runc', 'runsc']) }, false, {
      AIRLOCK_SANDBOX_RUNTIME: 'runsc',
    });
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, /✔ runtime +docker .*; sandboxes: runsc \(gVisor\)/);
  });

  it('fails the runtime check when runsc is set but the engine has no such runtime', async () => {
    const { deps } = fakeDeps();
    const r = await doctor({ ...deps, detectEngine: async () => withRuntimes(['runc']) }, true, { AIRLOCK_SANDBOX_RUNTIME: 'runsc' });
    const c = r.json.checks.find((x: Check) => x.name === 'runtime');
    assert.deepEqual([r.json.ok, c.ok, c.code], [false, false, 'SANDBOX_RUNTIME_MISSING']);
    assert.match(c.detail, /no runtime named runsc \(it has: runc\)/);
    assert.match(c.hint, /daemon\.json/);
  });
});
