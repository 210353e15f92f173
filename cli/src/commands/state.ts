// `airlock state check|backup|restore`: the kernel's SQLite stores on this machine, their snapshots and recoveries.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { containerName, detectEngine, type Engine, readConfig, statePaths } from '../../../bootstrap';
import { checkStoreFile } from '../../../core/src/store/check';
import { kernelStoreSpecs } from '../../../core/src/store/kernel-stores';
import { listReports } from '../../../core/src/store/recover';
import { restoreSnapshot } from '../../../core/src/store/restore';
import { listSnapshots, takeSnapshot } from '../../../core/src/store/snapshots';
import { AirlockError } from '../../../protocol/src/errors';
import type { CliIO, Command } from '../command';

const USAGE = `airlock state check [--workspace DIR] [--json]    # each store's health, its snapshots, the recoveries kept
       airlock state backup [--workspace DIR]             # snapshot every store now (online: the kernel may run)
       airlock state restore STORE [--snapshot FILE] [--workspace DIR]
                                                          # put a snapshot back (newest by default); the kernel must be stopped`;

export interface StateDeps {
  stateDir(): string;
  kernelRunning(): Promise<boolean>;
  kernelName(): string;
}

function usage(msg: string): AirlockError {
  return new AirlockError('CLI_USAGE', msg, USAGE);
}
const iso = (ms: number) => new Date(ms).toISOString();

export async function stateMain(args: string[], io: CliIO, deps: StateDeps): Promise<number> {
  let p;
  try {
    p = parseArgs({
      args,
      allowPositionals: true,
      options: { workspace: { type: 'string' }, json: { type: 'boolean' }, snapshot: { type: 'string' } },
    });
  } catch (e) {
    throw usage((e as Error).message);
  }
  const [action, store, ...extra] = p.positionals;
  if (extra.length || (store && action !== 'restore'))
    throw usage(`unexpected ${JSON.stringify([store, ...extra].filter(Boolean).join(' '))}`);
  const dir = deps.stateDir();
  if (!fs.existsSync(dir)) {
    throw new AirlockError(
      'STATE_NOT_FOUND',
      `no kernel state at ${dir}`,
      'start the kernel once for this workspace (any airlock command), or pass --workspace',
    );
  }
  const specs = kernelStoreSpecs(dir);
  switch (action) {
    case 'check': {
      const stores = specs.map((s) => ({ name: s.name, file: s.file, check: checkStoreFile(s), snapshots: listSnapshots(s.file) }));
      const reports = listReports(dir);
      const ok = stores.every((s) => s.check.ok);
      if (p.values.json) {
        io.out(JSON.stringify({ ok, stores, recoveries: reports }, null, 2));
        return ok ? 0 : 1;
      }
      for (const s of stores) {
        const snaps = s.snapshots.length ? `${s.snapshots.length} snapshot(s), newest ${iso(s.snapshots[0].at)}` : 'no snapshot yet';
        io.out(
          `${s.check.ok ? '✔' : '✘'} ${s.name.padEnd(9)} ${s.check.ok ? 'sound' : `${s.check.problem}: ${s.check.message}`}; ${snaps}`,
        );
      }
      io.out(`  audit.db  checked by \`airlock audit verify\` (its own chain; never restored from a snapshot)`);
      for (const r of reports)
        io.out(`  recovery ${iso(r.at)} ${r.store}: ${r.problem}; lost ${r.lost}${r.movedTo ? `; kept at ${r.movedTo}` : ''}`);
      if (!ok) io.out('  the kernel repairs a damaged store at its next start (or: airlock state restore STORE)');
      return ok ? 0 : 1;
    }
    case 'backup': {
      // The online backup reads a consistent copy beside a running kernel; audit.db is included (restored only by hand).
      for (const f of [...specs.map((s) => s.file), path.join(dir, 'audit.db')].filter((f) => fs.existsSync(f))) {
        const s = await takeSnapshot(f, 'manual');
        io.out(`${path.basename(f).padEnd(12)} → ${s.file}`);
      }
      return 0;
    }
    case 'restore': {
      const spec = specs.find((s) => s.name === store);
      if (!spec) throw usage(`restore needs a store: ${specs.map((s) => s.name).join(' or ')}`);
      if (await deps.kernelRunning()) {
        throw new AirlockError(
          'STATE_KERNEL_RUNNING',
          `the kernel (${deps.kernelName()}) is running and has ${path.basename(spec.file)} open`,
          `stop it first (\`docker stop ${deps.kernelName()}\`, or wait for its idle stop), then run this again`,
        );
      }
      const snaps = listSnapshots(spec.file);
      const snap = p.values.snapshot ? snaps.find((s) => path.resolve(s.file) === path.resolve(p.values.snapshot!)) : snaps[0];
      if (!snap) {
        const why = p.values.snapshot ? `${p.values.snapshot} is not a snapshot of ${spec.name}` : `${spec.name} has no snapshot`;
        throw new AirlockError('STORE_SNAPSHOT_NOT_FOUND', why, '`airlock state check` lists them');
      }
      const r = restoreSnapshot(spec, snap);
      io.out(
        `restored ${spec.name} from ${iso(snap.at)}; lost: ${r.lost}${r.movedTo ? `; the replaced file is kept at ${r.movedTo}` : ''}`,
      );
      io.out('the kernel records this in the audit log at its next start');
      return 0;
    }
    default:
      throw usage(`unknown state action ${JSON.stringify(action ?? '')}`);
  }
}

export const state: Command = {
  name: 'state',
  summary: "check, back up and restore the kernel's stores (workflow, sessions) on this machine",
  usage: USAGE,
  run(args, io) {
    const ws = parseArgs({ args, allowPositionals: true, strict: false }).values.workspace;
    const config = () => readConfig({ workspace: typeof ws === 'string' ? ws : io.cwd }, io.env);
    let engine: Promise<Engine> | undefined;
    return stateMain(args, io, {
      stateDir: () => statePaths(config(), io.env).state,
      kernelName: () => containerName(statePaths(config(), io.env)),
      // No engine answering means no kernel running on it.
      kernelRunning: async () => {
        engine ??= detectEngine(config(), io.env);
        const docker = (await engine.catch(() => undefined))?.docker;
        const info = await docker
          ?.getContainer(containerName(statePaths(config(), io.env)))
          .inspect()
          .catch(() => undefined);
        return info?.State.Running ?? false;
      },
    });
  },
};
