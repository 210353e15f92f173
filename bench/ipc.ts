// IPC round trip to the kernel in its container, and kernel cold start vs a plain `docker run` of the same image.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KernelSupervisor } from '../bootstrap';
import { nowMs, percentile, report, sample } from './lib';

async function main(): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-bench-ipc-'));
  const workspace = path.join(base, 'ws');
  fs.mkdirSync(workspace);
  const opts = { workspace, stateRoot: path.join(base, 'state'), runtime: 'docker' as const };
  // Warm-up start builds the image if needed; it is then cached for the cold-start runs.
  let sup = await KernelSupervisor.start(opts);
  const name = `airlock-kernel-${sup.paths.id}`;
  const image = sup.image;
  const client = await sup.ready();
  const rt = await sample(20_000, () => client.request('kernel/ping', {}), 500);
  sup.dispose();

  const cold: number[] = [];
  for (let i = 0; i < 10; i++) {
    await sup.engine.docker.getContainer(name).remove({ force: true });
    const t = nowMs();
    sup = await KernelSupervisor.start(opts);
    await (await sup.ready()).request('kernel/ping', {});
    cold.push(nowMs() - t);
    sup.dispose();
  }
  await sup.engine.docker.getContainer(name).remove({ force: true });

  const baseline = await sample(10, () => execFileSync('docker', ['run', '--rm', '--network', 'none', image, '/usr/bin/node', '-e', '0']), 1);
  report('ipc', {
    roundtrip_p50_ms: { value: percentile(rt, 50), unit: 'ms', goal: '< 0.3' },
    roundtrip_p99_ms: { value: percentile(rt, 99), unit: 'ms', goal: '< 2' },
    kernel_cold_start_ms: { value: percentile(cold, 50), unit: 'ms', goal: '< 1000' },
    docker_run_baseline_ms: { value: percentile(baseline, 50), unit: 'ms' },
  }, [['cold start / docker run', 'kernel_cold_start_ms', 'docker_run_baseline_ms']]);
  fs.rmSync(base, { recursive: true, force: true });
}

main().catch((e) => { console.error(e); process.exit(1); });
