// `airlock gc [--dry-run] [--all-versions] [--json]`: remove what Airlock left on this machine (docs/recovery.md).
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { detectEngine, type Engine, readConfig, statePaths } from '../../../bootstrap';
import { applyGc, type GcItem, planGc } from '../../../core/src/gc/plan';
import { isRemoteEngine } from '../../../core/src/remote/mode';
import { installationId } from '../../../protocol/src/node/assets';
import { AirlockError } from '../../../protocol/src/errors';
import type { CliIO, Command } from '../command';
import { formatSize } from './images';

const USAGE = `airlock gc [--dry-run] [--all-versions] [--json]
  removes this installation's stopped kernel containers of deleted workspaces or older images, sandboxes and scratch
  volumes whose kernel is not running, outputs volumes no kernel uses, older unused images (--all-versions: the newest
  unused too) and the state folders of deleted workspaces; and, on a local engine, what installations whose folder is
  gone left (a deleted checkout, an old extension version): stopped kernels, sandboxes, volumes, images no living
  installation uses; never anything running or in use, never a living installation's`;

export interface GcDeps {
  engine(): Promise<Engine>;
  stateBase(): string;
  installation?: string;
}

const line = (verb: string, i: GcItem) => `${verb} ${i.kind.padEnd(9)} ${i.name}${i.bytes ? ` (${formatSize(i.bytes)})` : ''}: ${i.reason}`;

export async function gcMain(args: string[], io: CliIO, deps: GcDeps): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args,
      options: { 'dry-run': { type: 'boolean' }, 'all-versions': { type: 'boolean' }, json: { type: 'boolean' } },
    }).values;
  } catch (e) {
    throw new AirlockError('CLI_USAGE', (e as Error).message, USAGE);
  }
  const engine = await deps.engine();
  const plan = await planGc(engine.docker, {
    stateBase: deps.stateBase(),
    installation: deps.installation ?? installationId(),
    allVersions: v['all-versions'] ?? false,
    local: !isRemoteEngine(engine.endpoint),
  });
  if (v['dry-run']) {
    if (v.json) {
      io.out(JSON.stringify({ dryRun: true, ...plan }, null, 2));
      return 0;
    }
    for (const i of plan.remove) io.out(line('would remove', i));
    for (const i of plan.kept) io.out(line('keeps', i));
    io.out(`${plan.remove.length} thing(s) would be removed (nothing removed: --dry-run)`);
    return 0;
  }
  const r = await applyGc(engine.docker, plan);
  if (v.json) {
    io.out(JSON.stringify({ ...r, kept: plan.kept }, null, 2));
    return r.failed.length ? 1 : 0;
  }
  for (const i of r.removed) io.out(line('removed', i));
  for (const i of r.failed) io.out(line('could not remove', { ...i, reason: i.error }));
  const freed = r.removed.reduce((n, i) => n + (i.bytes ?? 0), 0);
  io.out(
    `removed ${r.removed.length} thing(s)${freed ? `, ${formatSize(freed)}` : ''}${r.failed.length ? `; ${r.failed.length} failed` : ''}`,
  );
  return r.failed.length ? 1 : 0;
}

export const gc: Command = {
  name: 'gc',
  summary: "remove Airlock's leftovers: old containers, volumes, images, state of deleted workspaces",
  usage: USAGE,
  run(args, io) {
    const config = () => readConfig({ workspace: io.cwd }, io.env);
    return gcMain(args, io, {
      engine: () => detectEngine(config(), io.env),
      stateBase: () => path.dirname(statePaths(config(), io.env).root),
    });
  },
};
