// `airlock doctor`: checks the container engine, the kernel image and the kernel's health, each with a fix hint.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { detectEngine, KernelSupervisor, readConfig, statePaths } from '../../../bootstrap';
import { AirlockError } from '../../../protocol/src/errors';
import type { Command } from '../command';

interface Check { name: string; ok: boolean; detail: string; hint?: string; code?: string }

export const doctor: Command = {
  name: 'doctor',
  summary: 'check the container engine, kernel image and kernel health',
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
    return ok ? 0 : 1;
  },
};
