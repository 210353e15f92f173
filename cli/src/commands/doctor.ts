// `airlock doctor`: checks the container engine, the kernel image, the kernel's health and what sandboxes can read.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { detectEngine, KernelSupervisor, readConfig, statePaths } from '../../../bootstrap';
import { AirlockError } from '../../../protocol/src/errors';
import { loadTemplates } from '../../../kernel/src/runtime/templates';
import { SANDBOX_WORKSPACE_UNREADABLE, workspaceAccess } from '../../../kernel/src/runtime/workspace-access';
import type { Command } from '../command';

interface Check { name: string; ok: boolean; detail: string; hint?: string; code?: string }

export const doctor: Command = {
  name: 'doctor',
  summary: 'check the container engine, kernel image, kernel health and workspace access',
  usage: 'airlock doctor [--workspace DIR] [--json]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: { workspace: { type: 'string' }, json: { type: 'boolean' } } });
    const config = readConfig({ workspace: values.workspace ?? io.cwd });
    const paths = statePaths(config);
    const checks: Check[] = [];
    const fail = (name: string, e: unknown) => { const a = AirlockError.from(e); checks.push({ name, ok: false, detail: a.message, hint: a.hint, code: a.code }); };
    let kernel: Record<string, unknown> | undefined;
    try {
      const engine = await detectEngine(config);
      checks.push({ name: 'runtime', ok: true, detail: `${engine.kind} ${engine.version} at ${engine.socket}` });
      const t0 = Date.now();
      const sup = await KernelSupervisor.start({ workspace: config.workspace }, { progress: (l) => { if (!values.json) io.err(`airlock: ${l}`); } });
      try {
        checks.push({ name: 'image', ok: true, detail: sup.image });
        const client = await sup.ready();
        const t1 = process.hrtime.bigint();
        await client.request('kernel/ping', {}, { timeoutMs: config.pingTimeoutMs });
        const pingMs = Number(process.hrtime.bigint() - t1) / 1e6;
        const info = await client.request('kernel/info', {});
        kernel = { ...info, pingMs, readyAfterMs: Date.now() - t0 };
        checks.push({ name: 'kernel', ok: true, detail: `kernel ${info.version} (protocol ${info.protocol}) answered ping in ${pingMs.toFixed(2)} ms` });
      } finally {
        sup.dispose();
      }
    } catch (e) {
      fail(checks.length === 0 ? 'runtime' : checks.length === 1 ? 'image' : 'kernel', e);
    }
    const ok = checks.length === 3 && checks.every((c) => c.ok);
    checks.push(workspaceCheck(config.workspace));
    const statePathsOut = { workspace: config.workspace, root: paths.root, state: paths.state, socket: paths.socket, token: paths.token,
      auditDb: path.join(paths.state, 'audit.db'), auditKey: path.join(paths.state, 'keys', 'audit.key') };
    if (values.json) {
      io.out(JSON.stringify({ ok, checks, kernel, paths: statePathsOut }));
    } else {
      for (const c of checks) {
        io.out(`${c.ok ? '✔' : '✘'} ${c.name.padEnd(8)} ${c.detail}`);
        if (c.hint) io.out(`  hint: ${c.hint}`);
      }
      io.out(`  state   ${paths.root}`);
      io.out(ok ? 'airlock is healthy' : 'airlock is NOT healthy');
    }
    return ok && checks.every((c) => c.ok) ? 0 : 1;
  },
};

/** Sandboxes run as their template's uid: a workspace that uid cannot read looks empty to every command. */
export function workspaceCheck(workspace: string): Check {
  try {
    const user = loadTemplates().get('code-executor')?.user ?? '1000:1000';
    const a = workspaceAccess(workspace, user);
    if (!a.rootReadable) {
      return { name: 'workspace', ok: false, code: SANDBOX_WORKSPACE_UNREADABLE,
        detail: `sandboxes (user ${user}) cannot read ${workspace} (mode ${a.root.mode.toString(8).padStart(4, '0')}, owner ${a.root.uid}:${a.root.gid})`,
        hint: `chmod o+rX ${workspace}, or use sandbox templates with user "${a.root.uid}:${a.root.gid}" (AIRLOCK_TEMPLATES_DIR, docs/sandboxes.md)` };
    }
    const note = a.unreadable.length ? `; not readable there: ${a.unreadable.join(', ')}` : '';
    return { name: 'workspace', ok: true, detail: `sandboxes (user ${user}) can read ${workspace}${note}` };
  } catch (e) {
    const a = AirlockError.from(e);
    return { name: 'workspace', ok: false, detail: a.message, hint: a.hint, code: a.code };
  }
}
