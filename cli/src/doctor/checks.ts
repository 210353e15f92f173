// Doctor's checks in order (runtime, image, kernel, sandbox images, warm pools, workspace), each reported, none hidden.
import type { BootstrapConfig, Engine } from '../../../bootstrap';
import { assertRuntimeRegistered, type SandboxRuntime } from '../../../core/src/config/sandbox-runtime';
import { AirlockError } from '../../../protocol/src/errors';
import type { SandboxTemplateHealth } from '../../../protocol/src/methods/sandbox';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import { sandboxChecks } from '../../../protocol/src/sandbox-health';
import { withHint } from '../hints';
import { logCommand } from './logs';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  hint?: string;
  code?: string;
  /** Not run because an earlier check failed; counts as not ok. */
  skipped?: boolean;
  /** The kernel container's last output, when the kernel did not start or answer. */
  logs?: string;
}

export const CHECK_NAMES = ['runtime', 'image', 'kernel', 'images', 'pools', 'workspace'] as const;

export interface DoctorDeps {
  detectEngine(config: BootstrapConfig): Promise<Engine>;
  ensureImage(engine: Engine, config: BootstrapConfig): Promise<string>;
  startKernel(config: BootstrapConfig): Promise<{ ready(): Promise<Pick<RpcClient, 'request'>>; dispose(): void }>;
  containerName(config: BootstrapConfig): string;
  containerLogs(engine: Engine, name: string): Promise<string | undefined>;
  workspaceCheck(workspace: string): Check;
  /** How long to wait for warm pools that are still filling (they fill in the background after a kernel start). */
  poolWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface DoctorReport {
  ok: boolean;
  checks: Check[];
  kernel?: Record<string, unknown>;
}

function failed(name: string, e: unknown): Check {
  const a = withHint(e);
  return { name, ok: false, detail: a.message, hint: a.hint, code: a.code };
}

export async function runChecks(config: BootstrapConfig, deps: DoctorDeps): Promise<DoctorReport> {
  const checks: Check[] = [];
  let kernel: Record<string, unknown> | undefined;
  await (async () => {
    let engine: Engine;
    try {
      engine = await deps.detectEngine(config);
      const warn = engine.warnings.length ? `; warning: ${engine.warnings.join('; ')}` : '';
      const sandboxes = await sandboxRuntimeDetail(engine, config.sandboxRuntime);
      const where = `${engine.kind}${engine.rootless ? ' (rootless)' : ''} ${engine.version} at ${engine.socket}`;
      checks.push({ name: 'runtime', ok: true, detail: `${where}; ${sandboxes}${warn}` });
    } catch (e) {
      checks.push(failed('runtime', e));
      return;
    }
    try {
      checks.push({ name: 'image', ok: true, detail: await deps.ensureImage(engine, config) });
    } catch (e) {
      checks.push(failed('image', e));
      return;
    }
    const t0 = Date.now();
    let sup: Awaited<ReturnType<DoctorDeps['startKernel']>> | undefined;
    try {
      sup = await deps.startKernel(config);
      const client = await sup.ready();
      const t1 = process.hrtime.bigint();
      await client.request('kernel/ping', {}, { timeoutMs: config.pingTimeoutMs });
      const pingMs = Number(process.hrtime.bigint() - t1) / 1e6;
      const info = await client.request('kernel/info', {});
      kernel = { ...info, pingMs, readyAfterMs: Date.now() - t0 };
      const detail = `kernel ${info.version} (protocol ${info.protocol}) answered ping in ${pingMs.toFixed(2)} ms`;
      checks.push({ name: 'kernel', ok: true, detail });
      checks.push(...(await sandboxHealth(client, deps)));
    } catch (e) {
      if (!checks.some((c) => c.name === 'kernel')) checks.push(await kernelFailed(e, engine, config, deps));
      else checks.push(failed('images', e));
    } finally {
      sup?.dispose();
    }
  })();
  for (const name of CHECK_NAMES.slice(0, -1)) {
    if (!checks.some((c) => c.name === name)) {
      const why = checks.find((c) => !c.ok)?.name ?? 'an earlier check';
      checks.push({ name, ok: false, skipped: true, detail: `not checked: the ${why} check failed` });
    }
  }
  checks.push(deps.workspaceCheck(config.workspace));
  checks.sort((a, b) => CHECK_NAMES.indexOf(a.name as never) - CHECK_NAMES.indexOf(b.name as never));
  return { ok: checks.every((c) => c.ok), checks, kernel };
}

/** Which OCI runtime sandboxes use; runsc the engine does not have fails the check (the kernel would refuse every sandbox). */
async function sandboxRuntimeDetail(engine: Engine, wanted: SandboxRuntime): Promise<string> {
  if (wanted === 'runc') return "sandboxes: runc (the engine's default runtime)";
  const info = (await engine.docker.info()) as { Runtimes?: Record<string, unknown> };
  assertRuntimeRegistered(wanted, Object.keys(info.Runtimes ?? {}), engine);
  return 'sandboxes: runsc (gVisor)';
}

/** A kernel that did not start or answer: its error, its container's last output and the engine's command for its log. */
async function kernelFailed(e: unknown, engine: Engine, config: BootstrapConfig, deps: DoctorDeps): Promise<Check> {
  const c = failed('kernel', e);
  const name = deps.containerName(config);
  const logs = await deps.containerLogs(engine, name).catch(() => undefined);
  if (logs === undefined) {
    // No container to read: the engine refused to create or start it, and its message says why.
    const own = AirlockError.from(e).hint;
    return {
      ...c,
      hint:
        own ??
        `the ${engine.kind} engine refused the kernel container: check the kernel image` +
          ` (AIRLOCK_KERNEL_IMAGE, docs/install.md) and \`${engine.kind} info\``,
    };
  }
  const see = `${logs ? 'its last output is shown; ' : ''}the whole log: \`${logCommand(engine, name)}\``;
  // Bootstrap's own hints point back at doctor or at one engine's log command: this one names the right engine.
  const own = c.hint && !/airlock doctor|\blogs\b/.test(c.hint) ? `; ${c.hint}` : '';
  return { ...c, logs: logs || undefined, hint: `${see}${own}` };
}

/** Sandbox images and warm pools from sandbox/pools, waiting a little for pools that are still filling. */
async function sandboxHealth(client: Pick<RpcClient, 'request'>, deps: DoctorDeps): Promise<Check[]> {
  const end = Date.now() + (deps.poolWaitMs ?? 10_000);
  const sleep = deps.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  for (;;) {
    const r = await client.request('sandbox/pools', {});
    const filling = (h: SandboxTemplateHealth) => h.image && !h.pool.error && h.pool.ready < h.pool.target;
    if (!Object.values(r.health).some(filling) || Date.now() >= end) {
      const checks = sandboxChecks(r.health, r.enabled);
      const pools = checks.find((c) => c.name === 'pools')!;
      if (pools.ok && Object.values(r.health).some(filling)) pools.detail += ' (still filling)';
      return checks.map(({ status: _status, ...c }) => c);
    }
    await sleep(250);
  }
}
