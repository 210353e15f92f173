// Sandbox latency: cold create, warm-pool acquire, exec overhead and throughput, beside plain `docker run`/`docker exec`.
import { execFileSync } from 'node:child_process';
import { createRuntime } from '../kernel/src/runtime/detect';
import { SandboxManager } from '../kernel/src/runtime/sandbox-manager';
import { loadTemplates } from '../kernel/src/runtime/templates';
import { ensureSandboxImages } from '../templates/builder/sandbox-images';
import { nowMs, percentile, report, sample } from './lib';

const N = Number(process.env.BENCH_N ?? 15);
const TEMPLATE = 'code-executor';

async function main(): Promise<void> {
  await ensureSandboxImages({ engine: 'docker', socketPath: '/var/run/docker.sock', onProgress: (l) => console.log(l) });
  const templates = loadTemplates();
  const cold = new SandboxManager({ runtime: createRuntime('docker'), templates });
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
    // Baseline: the same image through the docker CLI, with the same work to reach "node is running".
    const runMs = await sample(N, () => execFileSync('docker', ['run', '--rm', '--network', 'none', '--user', '1000:1000', image, 'node', '-e', '0']), 3);

    // Exec overhead: host round trip minus the time the command itself took inside the sandbox.
    const overhead: number[] = [];
    for (let i = 0; i < N * 4 + 10; i++) {
      const t = nowMs();
      const r = await cold.exec(s.id, { argv: ['true'] });
      if (i >= 10) overhead.push(nowMs() - t - r.durationMs);
    }
    const dockerExecMs = await sample(N, () => execFileSync('docker', ['exec', s.containerId!, 'true']), 3);
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
    const warm = new SandboxManager({ runtime: createRuntime('docker'), templates, pools: true, session: cold.session });
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

    console.log(`engine exec through dockerode (fallback path) p50 ${percentile(viaEngineExec, 50).toFixed(1)} ms; agent round trip kept as the default`);
    report('sandbox', {
      cold_create_p50_ms: { value: percentile(createMs, 50), unit: 'ms', goal: '<= 150' },
      docker_run_baseline_p50_ms: { value: percentile(runMs, 50), unit: 'ms' },
      warm_acquire_p50_ms: { value: percentile(acquireMs, 50), unit: 'ms', goal: '<= 10' },
      exec_overhead_p50_ms: { value: percentile(overhead, 50), unit: 'ms', goal: '<= 15' },
      docker_exec_baseline_p50_ms: { value: percentile(dockerExecMs, 50), unit: 'ms' },
      sandboxes_per_min: { value: perMin, unit: '/min' },
    }, [
      ['cold create / docker run', 'cold_create_p50_ms', 'docker_run_baseline_p50_ms'],
      ['exec overhead / docker exec', 'exec_overhead_p50_ms', 'docker_exec_baseline_p50_ms'],
    ]);
  } finally {
    await cold.shutdown();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
