// gVisor overhead: SandboxManager.exec(["true"]) through the exec agent under runsc against runc, same engine (a second,
// private dockerd that registers runsc as docs/sandboxes.md says), same template and image, alternating, same sampling.
import { createRuntime } from '../kernel/src/runtime/detect';
import { SandboxManager } from '../kernel/src/runtime/sandbox-manager';
import { loadTemplates } from '../core/src/templates';
import { startRunscEngine } from '../test/integration/runtime/runsc-engine';
import { engineOf, nowMs, percentile, writeResults, type Figures } from './lib';

const N = Number(process.env.BENCH_N ?? 60);
const WARMUP = 10;
const TEMPLATE = 'code-executor';

async function main(): Promise<void> {
  const engine = await startRunscEngine((l) => console.log(l));
  const templates = loadTemplates();
  const managers = (['runc', 'runsc'] as const).map(
    (r) => new SandboxManager({ runtime: createRuntime('docker', engine.socket), templates, sandboxRuntime: r }),
  );
  try {
    const ids = await Promise.all(managers.map(async (m) => (await m.create({ template: TEMPLATE })).id));
    const times: number[][] = [[], []];
    for (let i = 0; i < N + WARMUP; i++) {
      for (const k of [0, 1]) {
        const t = nowMs();
        const r = await managers[k].exec(ids[k], { argv: ['true'] });
        const ms = nowMs() - t;
        if (r.exitCode !== 0) throw new Error(`true exited ${r.exitCode} under ${k ? 'runsc' : 'runc'}`);
        if (i >= WARMUP) times[k].push(ms);
      }
    }
    const p50 = (xs: number[], runtime: string) => ({
      value: percentile(xs, 50),
      unit: 'ms',
      stat: 'p50' as const,
      n: N,
      warmup: WARMUP,
      model: 'in-process' as const,
      work: `SandboxManager.exec(["true"]) in a ${TEMPLATE} sandbox under ${runtime}, exec agent, whole call`,
    });
    const metrics: Figures = { runsc_exec_p50_ms: p50(times[1], 'runsc (gVisor, ptrace platform, --network=none)') };
    const baselines: Figures = { runc_exec_p50_ms: p50(times[0], 'runc') };
    writeResults({
      name: 'runsc',
      engine: await engineOf('docker', engine.socket),
      metrics,
      baselines,
      ratios: [['exec under runsc / runc', 'runsc_exec_p50_ms', 'runc_exec_p50_ms']],
      notes: [
        'both sandboxes on the same private dockerd, same image; runc and runsc samples alternate one by one',
        'runsc 0.0~20221219 (Debian bookworm) on the ptrace platform: /dev/kvm is present on this VM but the kvm platform hangs',
      ],
    });
  } finally {
    for (const m of managers) await m.shutdown();
    await engine.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
