// Sandbox latency: cold create and exec round trip against the same work through dockerode in this process; warm
// acquire and throughput; `docker run` through the CLI as a user's reference only. `--engine podman` measures Podman.
import { execFileSync } from 'node:child_process';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import { collectDemuxed } from '../kernel/src/runtime/dockerode-runtime';
import { createRuntime } from '../kernel/src/runtime/detect';
import { SandboxManager } from '../kernel/src/runtime/sandbox-manager';
import { loadTemplates } from '../core/src/templates';
import type { ContainerSpec } from '../kernel/src/runtime/types';
import { ensureSandboxImages } from '../templates/builder/sandbox-images';
import { engineOf, nowMs, percentile, sample, writeResults, type Figures } from './lib';

const N = Number(process.env.BENCH_N ?? 15);
const WARMUP = 3;
const EXEC_N = N * 4;
const EXEC_WARMUP = 10;
const TEMPLATE = 'code-executor';

type Engine = 'docker' | 'podman';
const SOCKETS: Record<Engine, string> = { docker: '/var/run/docker.sock', podman: '/run/podman/podman.sock' };
// Podman's CLI needs the same explicit ulimits the runtime passes (its defaults exceed this host's hard limits).
const RUN_FLAGS: Record<Engine, string[]> = { docker: [], podman: ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096'] };

/** `--engine docker|podman` or BENCH_ENGINE; default docker. The results file records which engine ran. */
function engineArg(): Engine {
  const args = process.argv.slice(2);
  const i = args.indexOf('--engine');
  const e = i >= 0 ? args[i + 1] : (args.find((a) => a.startsWith('--engine='))?.slice(9) ?? process.env.BENCH_ENGINE ?? 'docker');
  if (e !== 'docker' && e !== 'podman') throw new Error(`unknown engine ${e}: docker or podman`);
  return e;
}

/** Resolves at the first byte the container's main process writes to stdout or stderr (multiplexed frames). */
function firstByte(stream: Duplex): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      // A frame is an 8-byte header (stream, 0, 0, 0, size32be) then its payload: a byte of output is a frame of size > 0.
      while (buf.length >= 8) {
        const size = buf.readUInt32BE(4);
        if (size > 0 && buf.length > 8) {
          stream.off('data', onData);
          resolve();
          return;
        }
        if (size > 0) return;
        buf = buf.subarray(8);
      }
    };
    stream.on('data', onData);
    stream.once('error', reject);
    stream.once('close', () => reject(new Error('the container closed its output before writing a byte')));
  });
}

async function main(): Promise<void> {
  const engine = engineArg();
  await ensureSandboxImages({ engine, socketPath: SOCKETS[engine], onProgress: (l) => console.log(l) });
  const docker = new Docker({ socketPath: SOCKETS[engine] });
  const runtime = createRuntime(engine);
  // The spec our manager hands the engine, kept so the baseline creates exactly the same container.
  let lastSpec: ContainerSpec | undefined;
  const create = runtime.createContainer.bind(runtime);
  runtime.createContainer = (spec, signal) => {
    lastSpec = spec;
    return create(spec, signal);
  };
  const templates = loadTemplates();
  const cold = new SandboxManager({ runtime, templates });
  await cold.start();
  try {
    // Cold create: request → container created, attached, started, exec agent answering; destroy not timed.
    const ours = async () => {
      const t = nowMs();
      const s = await cold.create({ template: TEMPLATE });
      const ms = nowMs() - t;
      await cold.destroy(s.id);
      return ms;
    };
    await ours();
    const spec = lastSpec!;
    // Baseline: the same ContainerSpec (the exec agent as its command) through dockerode, until its first byte of
    // output (the agent's ready line, after it reads the key line as ours does); removal not timed.
    let k = 0;
    const api = async () => {
      const t = nowMs();
      const id = await create({ ...spec, name: `airlock-bench-api-${process.pid}-${k++}` });
      const c = docker.getContainer(id);
      const stream = (await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
      const first = firstByte(stream);
      stream.write(`\nkey ${'ab'.repeat(32)}\n`);
      await c.start();
      await first;
      const ms = nowMs() - t;
      stream.destroy();
      await runtime.remove(id);
      return ms;
    };
    const createMs: number[] = [];
    const apiMs: number[] = [];
    for (let i = 0; i < N + WARMUP; i++) {
      const a = await ours();
      const b = await api();
      if (i >= WARMUP) {
        createMs.push(a);
        apiMs.push(b);
      }
    }
    const s = await cold.create({ template: TEMPLATE });
    const image = s.image;
    const runArgs = ['run', '--rm', ...RUN_FLAGS[engine], '--network', 'none', '--user', spec.user, image, 'node', '-e', '0'];
    const runMs = await sample(N, () => execFileSync(engine, runArgs), WARMUP);

    // Exec round trip of `true`: ours (agent, whole call) vs dockerode's exec create + start + output + inspect, and
    // ours through the engine's exec (the fallback path); alternating, same warm-up and sample count.
    const apiExec = async () => {
      const ex = await docker.getContainer(s.containerId!).exec({
        Cmd: ['true'],
        AttachStdout: true,
        AttachStderr: true,
        User: spec.user,
        WorkingDir: spec.workingDir,
      });
      await collectDemuxed(docker.modem, await ex.start({ hijack: true, stdin: false }));
      if ((await ex.inspect()).ExitCode !== 0) throw new Error('true failed');
    };
    const viaAgent = () => cold.exec(s.id, { argv: ['true'] });
    const viaEngine = () => cold.exec(s.id, { argv: ['true'] }, { via: 'docker-exec' });
    const execMs: number[] = [];
    const apiExecMs: number[] = [];
    const engineExecMs: number[] = [];
    for (let i = 0; i < EXEC_N + EXEC_WARMUP; i++) {
      for (const [fn, out] of [
        [viaAgent, execMs],
        [apiExec, apiExecMs],
        [viaEngine, engineExecMs],
      ] as const) {
        const t = nowMs();
        await fn();
        if (i >= EXEC_WARMUP) out.push(nowMs() - t);
      }
    }
    await cold.destroy(s.id);

    // Throughput: create → one command → destroy, two at a time (2 cores), for a fixed time.
    const seconds = Number(process.env.BENCH_SECONDS ?? 15);
    const until = nowMs() + seconds * 1000;
    let done = 0;
    const t0 = nowMs();
    await Promise.all(
      [0, 1].map(async () => {
        while (nowMs() < until) {
          const x = await cold.create({ template: TEMPLATE });
          await cold.exec(x.id, { argv: ['sh', '-c', 'echo ok'] });
          await cold.destroy(x.id);
          done++;
        }
      }),
    );
    const perMin = done / ((nowMs() - t0) / 60_000);

    // Warm pool: a ready sandbox is handed out; wait for the background refill between samples (not timed).
    const warm = new SandboxManager({ runtime: createRuntime(engine), templates, pools: true, session: cold.session });
    await warm.start();
    const waitReady = async () => {
      while (!warm.list().some((x) => x.template === TEMPLATE && x.state === 'ready')) await new Promise((r) => setTimeout(r, 20));
    };
    const acquireMs: number[] = [];
    for (let i = 0; i < N; i++) {
      await waitReady();
      const t = nowMs();
      const x = await warm.create({ template: TEMPLATE });
      acquireMs.push(nowMs() - t);
      await warm.destroy(x.id);
    }
    await warm.shutdown();

    const p50 = (xs: number[], n: number, warmup: number, work: string, model: 'in-process' | 'spawned-cli' = 'in-process') => ({
      value: percentile(xs, 50),
      unit: 'ms',
      stat: 'p50' as const,
      n,
      warmup,
      model,
      work,
    });
    const metrics: Figures = {
      cold_create_p50_ms: {
        ...p50(createMs, N, WARMUP, `SandboxManager.create(${TEMPLATE}): create, attach, start, key sent, agent ready line verified`),
        goal: '<= 150',
      },
      warm_acquire_p50_ms: { ...p50(acquireMs, N, 0, 'SandboxManager.create with a ready pooled sandbox'), goal: '<= 10' },
      exec_roundtrip_p50_ms: p50(execMs, EXEC_N, EXEC_WARMUP, 'SandboxManager.exec(["true"]) through the exec agent, whole call'),
      exec_via_engine_p50_ms: p50(
        engineExecMs,
        EXEC_N,
        EXEC_WARMUP,
        'SandboxManager.exec(["true"]) through the engine exec (fallback path), whole call',
      ),
      sandboxes_per_min: {
        value: perMin,
        unit: '/min',
        stat: 'rate',
        n: Math.max(1, done),
        warmup: 0,
        model: 'in-process',
        work: `create + one command + destroy, 2 at a time, ${seconds} s`,
      },
    };
    const baselines: Figures = {
      api_create_baseline_p50_ms: p50(
        apiMs,
        N,
        WARMUP,
        'the same ContainerSpec through dockerode: create, attach, key sent, start, first byte of output',
      ),
      api_exec_baseline_p50_ms: p50(apiExecMs, EXEC_N, EXEC_WARMUP, 'dockerode exec of ["true"]: create, start, read output, inspect'),
    };
    const reference: Figures = {
      cli_run_reference_p50_ms: p50(
        runMs,
        N,
        WARMUP,
        `${engine} run --rm --network none (same image) node -e 0, spawned CLI incl. removal`,
        'spawned-cli',
      ),
    };
    writeResults({
      name: 'sandbox',
      engine: await engineOf(engine, SOCKETS[engine]),
      metrics,
      baselines,
      reference,
      ratios: [
        ['cold create / API create', 'cold_create_p50_ms', 'api_create_baseline_p50_ms'],
        ['exec round trip / API exec', 'exec_roundtrip_p50_ms', 'api_exec_baseline_p50_ms'],
        ['exec via engine / via agent', 'exec_via_engine_p50_ms', 'exec_roundtrip_p50_ms'],
      ],
      notes: [
        'cold create and the API baseline alternate sample by sample; so do the three exec variants',
        `${engine} run through the CLI is a user's reference (a different process model): no ratio is taken against it`,
      ],
    });
  } finally {
    await cold.shutdown();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
