// Sandbox latency: cold create, warm-pool acquire, exec overhead and throughput, beside plain `docker run`/`docker exec`
// (and, with --engine podman / BENCH_ENGINE=docker,podman, the same under Podman beside `podman run`/`podman exec`).
import { execFileSync } from 'node:child_process';
import { createRuntime } from '../kernel/src/runtime/detect';
import { SandboxManager } from '../kernel/src/runtime/sandbox-manager';
import { loadTemplates } from '../kernel/src/runtime/templates';
import { ensureSandboxImages } from '../templates/builder/sandbox-images';
import { Metrics, nowMs, percentile, report, sample } from './lib';

const N = Number(process.env.BENCH_N ?? 15);
const TEMPLATE = 'code-executor';

type Engine = 'docker' | 'podman';
const SOCKETS: Record<Engine, string> = { docker: '/var/run/docker.sock', podman: '/run/podman/podman.sock' };
// Podman's CLI needs the same explicit ulimits the runtime passes (its defaults exceed this host's hard limits).
const RUN_FLAGS: Record<Engine, string[]> = { docker: [], podman: ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096'] };

/** `--engine docker|podman` (repeatable) or BENCH_ENGINE=docker,podman; default docker. Docker's numbers go to the
 * results file (its keys); Podman's are printed as extra rows beside them. */
function engines(): Engine[] {
  const args = process.argv.slice(2);
  const fromArgs = args.flatMap((a, i) => (a === '--engine' ? [args[i + 1]] : a.startsWith('--engine=') ? [a.slice(9)] : []));
  const list = fromArgs.length ? fromArgs : (process.env.BENCH_ENGINE ?? 'docker').split(',');
  const out = [...new Set(list.map((e) => e.trim()))];
  for (const e of out) if (e !== 'docker' && e !== 'podman') throw new Error(`unknown engine ${e}: docker or podman`);
  return out as Engine[];
}

async function measure(engine: Engine): Promise<Metrics> {
  await ensureSandboxImages({ engine, socketPath: SOCKETS[engine], onProgress: (l) => console.log(l) });
  const templates = loadTemplates();
  const cold = new SandboxManager({ runtime: createRuntime(engine), templates });
  await cold.start();
  try {
    // Cold: request → container created, started, exec agent answering. Destroy is not timed.
    const createMs: number[] = [];
    for (let i = 0; i < N + 3; i++) {
      const t = nowMs();
      const s = await cold.create({ template: TEMPLATE });
      if (i >= 3) createMs.push(nowMs() - t);
      await cold.destroy(s.id);
    }
    const s = await cold.create({ template: TEMPLATE });
    const image = s.image;
    // Baseline: the same image through the engine's CLI, with the same work to reach "node is running".
    const runMs = await sample(N, () => execFileSync(engine, ['run', '--rm', ...RUN_FLAGS[engine], '--network', 'none', '--user', '1000:1000', image, 'node', '-e', '0']), 3);

    // Exec overhead: host round trip minus the time the command itself took inside the sandbox.
    const overhead: number[] = [];
    for (let i = 0; i < N * 4 + 10; i++) {
      const t = nowMs();
      const r = await cold.exec(s.id, { argv: ['true'] });
      if (i >= 10) overhead.push(nowMs() - t - r.durationMs);
    }
    const dockerExecMs = await sample(N, () => execFileSync(engine, ['exec', s.containerId!, 'true']), 3);
    const viaEngineExec = await sample(N, () => cold.exec(s.id, { argv: ['true'] }, { via: 'docker-exec' }), 3);
    await cold.destroy(s.id);

    // Throughput: create → one command → destroy, two at a time (2 cores), for a fixed time.
    const until = nowMs() + Number(process.env.BENCH_SECONDS ?? 20) * 1000;
    let done = 0;
    const t0 = nowMs();
    await Promise.all([0, 1].map(async () => {
      while (nowMs() < until) {
        const x = await cold.create({ template: TEMPLATE });
        await cold.exec(x.id, { argv: ['sh', '-c', 'echo ok'] });
        await cold.destroy(x.id);
        done++;
      }
    }));
    const perMin = done / ((nowMs() - t0) / 60_000);

    // Warm pool: a ready sandbox is handed out; wait for the background refill between samples (not timed).
    const warm = new SandboxManager({ runtime: createRuntime(engine), templates, pools: true, session: cold.session });
    await warm.start();
    const waitReady = async () => { while (!warm.list().some((x) => x.template === TEMPLATE && x.state === 'ready')) await new Promise((r) => setTimeout(r, 20)); };
    const acquireMs: number[] = [];
    for (let i = 0; i < N; i++) {
      await waitReady();
      const t = nowMs();
      const x = await warm.create({ template: TEMPLATE });
      acquireMs.push(nowMs() - t);
      await warm.destroy(x.id);
    }
    await warm.shutdown();

    console.log(`[${engine}] engine exec through dockerode (fallback path) p50 ${percentile(viaEngineExec, 50).toFixed(1)} ms; agent round trip kept as the default`);
    return {
      cold_create_p50_ms: { value: percentile(createMs, 50), unit: 'ms', goal: '<= 150' },
      docker_run_baseline_p50_ms: { value: percentile(runMs, 50), unit: 'ms' },
      warm_acquire_p50_ms: { value: percentile(acquireMs, 50), unit: 'ms', goal: '<= 10' },
      exec_overhead_p50_ms: { value: percentile(overhead, 50), unit: 'ms', goal: '<= 15' },
      docker_exec_baseline_p50_ms: { value: percentile(dockerExecMs, 50), unit: 'ms' },
      sandboxes_per_min: { value: perMin, unit: '/min' },
    };
  } finally {
    await cold.shutdown();
  }
}

const RATIOS: Array<[string, string, string]> = [
  ['cold create / docker run', 'cold_create_p50_ms', 'docker_run_baseline_p50_ms'],
  ['exec overhead / docker exec', 'exec_overhead_p50_ms', 'docker_exec_baseline_p50_ms'],
];

async function main(): Promise<void> {
  const list = engines();
  const results = new Map<Engine, Metrics>();
  for (const e of list) results.set(e, await measure(e));
  const docker = results.get('docker');
  if (docker) report('sandbox', docker, RATIOS);
  const podman = results.get('podman');
  if (podman) {
    // Extra printed rows, not results-file keys: the baselines here are `podman run` / `podman exec`.
    console.log('\n== bench sandbox (podman; printed only, baselines are podman run / podman exec) ==');
    for (const [k, m] of Object.entries(podman)) console.log(`podman ${k.replace(/docker/g, 'podman').padEnd(28)} ${m.value.toFixed(2).padStart(10)} ${m.unit}`);
    for (const [label, a, b] of RATIOS) console.log(`podman ${label.replace(/docker/g, 'podman').padEnd(28)} ${(podman[a].value / podman[b].value).toFixed(3).padStart(10)} x`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
