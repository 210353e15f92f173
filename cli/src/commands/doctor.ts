// `airlock doctor`: checks the engine, the kernel image, the kernel, sandbox images, warm pools and workspace access.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  type BootstrapConfig,
  containerName,
  detectEngine,
  KernelSupervisor,
  readConfig,
  statePaths,
  workspaceUser,
} from '../../../bootstrap';
import { ensureKernelImage } from '../../../templates/builder/kernel-image';
import { AirlockError } from '../../../protocol/src/errors';
import { loadTemplates } from '../../../core/src/templates';
import { SANDBOX_WORKSPACE_UNREADABLE, workspaceAccess } from '../../../core/src/workspace-access';
import type { CliIO, Command } from '../command';
import { type Check, type DoctorDeps, runChecks } from '../doctor/checks';
import { containerLogs } from '../doctor/logs';
import { formatHoldings, type Holdings, machineHoldings } from '../doctor/holdings';

export type { Check } from '../doctor/checks';

export function realDeps(io: CliIO, json: boolean): DoctorDeps {
  const progress = (l: string) => {
    if (!json) io.err(`airlock: ${l}`);
  };
  return {
    detectEngine: (config) => detectEngine(config, io.env),
    ensureImage: (engine, config) => ensureKernelImage(engine, config, progress),
    startKernel: (config) => KernelSupervisor.start({ workspace: config.workspace }, { progress }),
    containerName: (config) => containerName(statePaths(config, io.env)),
    containerLogs,
    workspaceCheck,
  };
}

/** What Airlock holds on the machine, reported after the checks (never a failed check). */
export function realHoldings(io: CliIO): (config: BootstrapConfig) => Promise<Holdings> {
  return async (config) =>
    machineHoldings((await detectEngine(config, io.env).catch(() => undefined))?.docker, path.dirname(statePaths(config, io.env).root));
}

export async function doctorMain(
  args: string[],
  io: CliIO,
  deps?: DoctorDeps,
  holdingsOf?: (config: BootstrapConfig) => Promise<Holdings>,
): Promise<number> {
  const { values } = parseArgs({ args, options: { workspace: { type: 'string' }, json: { type: 'boolean' } } });
  const config = readConfig({ workspace: values.workspace ?? io.cwd }, io.env);
  const paths = statePaths(config, io.env);
  const report = await runChecks(config, deps ?? realDeps(io, !!values.json));
  const holdings = await (holdingsOf ?? (deps ? undefined : realHoldings(io)))?.(config);
  const statePathsOut = {
    workspace: config.workspace,
    root: paths.root,
    state: paths.state,
    socket: paths.socket,
    token: paths.token,
    auditDb: path.join(paths.state, 'audit.db'),
    auditKey: path.join(paths.state, 'keys', 'audit.key'),
  };
  if (values.json) {
    io.out(
      JSON.stringify({
        ok: report.ok,
        checks: report.checks,
        kernel: report.kernel,
        paths: statePathsOut,
        config: { managed: config.managed, warnings: config.warnings },
        holdings,
      }),
    );
  } else {
    for (const c of report.checks) {
      io.out(`${c.ok ? '✔' : c.skipped ? '–' : '✘'} ${c.name.padEnd(9)} ${c.detail}`);
      if (c.logs)
        io.out(
          c.logs
            .split('\n')
            .map((l) => `  | ${l}`)
            .join('\n'),
        );
      if (c.hint) io.out(`  hint: ${c.hint}`);
    }
    io.out(`  state     ${paths.root}`);
    if (holdings) io.out(`  ${formatHoldings(holdings)}`);
    io.out(
      `  config    ${config.managed.sources.length ? `managed by ${config.managed.sources.map((m) => m.file).join(', ')} (digest ${config.managed.digest.slice(0, 16)})` : 'no managed settings'}`,
    );
    for (const w of config.warnings) io.out(`  warning: ${w}`);
    // Healthy only when every check passed: a failed or skipped check is never followed by "healthy".
    const bad = report.checks.filter((c) => !c.ok).map((c) => c.name);
    io.out(report.ok ? 'airlock is healthy' : `airlock is NOT healthy (${bad.join(', ')})`);
  }
  return report.ok ? 0 : 1;
}

export const doctor: Command = {
  name: 'doctor',
  summary: 'check the container engine, kernel image, kernel, sandbox images, warm pools and workspace access',
  usage: 'airlock doctor [--workspace DIR] [--json]',
  run: (args, io) => doctorMain(args, io),
};

/** Sandboxes run as the workspace user (bootstrap's choice) unless a template names its own uid: a workspace that uid
 * cannot read looks empty to every command. */
export function workspaceCheck(workspace: string, templatesDir?: string): Check {
  try {
    const { uid, gid } = workspaceUser(workspace);
    const user = loadTemplates(templatesDir, `${uid}:${gid}`).get('code-executor')?.user ?? `${uid}:${gid}`;
    const a = workspaceAccess(workspace, user);
    if (!a.rootReadable) {
      return {
        name: 'workspace',
        ok: false,
        code: SANDBOX_WORKSPACE_UNREADABLE,
        detail: `sandboxes (user ${user}) cannot read ${workspace} (mode ${a.root.mode.toString(8).padStart(4, '0')}, owner ${a.root.uid}:${a.root.gid})`,
        hint: `chmod o+rX ${workspace}, or drop the fixed \`user\` from your sandbox templates so they run as the workspace user (AIRLOCK_TEMPLATES_DIR, docs/sandboxes.md)`,
      };
    }
    const note = a.unreadable.length ? `; not readable there: ${a.unreadable.join(', ')}` : '';
    return { name: 'workspace', ok: true, detail: `sandboxes (user ${user}) can read ${workspace}${note}` };
  } catch (e) {
    const a = AirlockError.from(e);
    return { name: 'workspace', ok: false, detail: a.message, hint: a.hint, code: a.code };
  }
}
