// IPC round trip to the kernel in its container, and kernel cold start vs a run of the same image through the API.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KernelSupervisor } from '../bootstrap';
import { engineOf, nowMs, percentile, sample, writeResults } from './lib';

const COLD_N = Number(process.env.BENCH_N ?? 8);
const WARMUP = 1;
const PINGS = 5000;

async function main(): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-bench-ipc-'));
  const workspace = path.join(base, 'ws');
  fs.mkdirSync(workspace);
  const opts = { workspace, stateRoot: path.join(base, 'state'), runtime: 'docker' as const };
  // Warm-up start builds the image if needed; it is then cached for the cold-start runs.
  let sup = await KernelSupervisor.start(opts);
  const name = `airlock-kernel-${sup.paths.id}`;
  const image = sup.image;
  const docker = sup.engine.docker;
  const engine = await engineOf('docker', sup.engine.socket);
  const client = await sup.ready();
  const rt = await sample(PINGS, () => client.request('kernel/ping', {}), 500);
  sup.dispose();

  // Ours: from no container to the kernel answering a ping (the supervisor creates, starts and connects).
  const cold = async () => {
    await docker.getContainer(name).remove({ force: true });
    const t = nowMs();
    sup = await KernelSupervisor.start(opts);
    await (await sup.ready()).request('kernel/ping', {});
    const ms = nowMs() - t;
    sup.dispose();
    return ms;
  };
  // Baseline: `docker run` of the same image through the API in this process (create, start, wait for exit of
  // `node -e 0`); removal not timed, as ours excludes removing the previous kernel container.
  const apiRun = async () => {
    const t = nowMs();
    const c = await docker.createContainer({
      Image: image,
      Cmd: ['/usr/bin/node', '-e', '0'],
      Entrypoint: [],
      NetworkDisabled: true,
      HostConfig: { NetworkMode: 'none' },
    });
    await c.start();
    const r = (await c.wait()) as { StatusCode: number };
    const ms = nowMs() - t;
    await c.remove({ force: true });
    if (r.StatusCode !== 0) throw new Error(`node -e 0 exited ${r.StatusCode}`);
    return ms;
  };
  const coldMs: number[] = [];
  const apiMs: number[] = [];
  for (let i = 0; i < COLD_N + WARMUP; i++) {
    const a = await cold();
    const b = await apiRun();
    if (i >= WARMUP) {
      coldMs.push(a);
      apiMs.push(b);
    }
  }
  await docker.getContainer(name).remove({ force: true });

  const ms = (value: number, stat: 'p50' | 'p99', n: number, warmup: number, work: string) => ({
    value,
    unit: 'ms',
    stat,
    n,
    warmup,
    model: 'in-process' as const,
    work,
  });
  writeResults({
    name: 'ipc',
    engine,
    metrics: {
      roundtrip_p50_ms: { ...ms(percentile(rt, 50), 'p50', PINGS, 500, 'kernel/ping over the kernel socket'), goal: '< 0.3' },
      roundtrip_p99_ms: { ...ms(percentile(rt, 99), 'p99', PINGS, 500, 'kernel/ping over the kernel socket'), goal: '< 2' },
      kernel_cold_start_ms: {
        ...ms(percentile(coldMs, 50), 'p50', COLD_N, WARMUP, 'KernelSupervisor.start → ready → first ping answered (image cached)'),
        goal: '< 1000',
      },
    },
    baselines: {
      api_run_baseline_ms: ms(
        percentile(apiMs, 50),
        'p50',
        COLD_N,
        WARMUP,
        'same image through the Docker API: create, start, wait for `node -e 0` to exit',
      ),
    },
    ratios: [['cold start / API run', 'kernel_cold_start_ms', 'api_run_baseline_ms']],
    notes: ['cold start and the API run alternate sample by sample'],
  });
  fs.rmSync(base, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
