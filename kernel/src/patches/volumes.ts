// Output volumes: a copy-on-write view of the workspace per writing sandbox (overlay; copied snapshot as fallback), with a quota.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import { type IDisposable, toDisposable } from '../../../protocol/src/lifecycle';
import { buildManifest, type SnapshotManifest } from './scan';
import { treeUsage } from './walk';
import { BOOT_ID, currentHolder } from '../runtime/holder';
import type { PatchSource } from './service';

/** The slice of dockerode (Docker or Podman's compatible API) that output volumes need. */
export interface VolumeEngine {
  createVolume(opts: {
    Name: string;
    Driver: string;
    DriverOpts: Record<string, string>;
    Labels?: Record<string, string>;
  }): Promise<unknown>;
  getVolume(name: string): { remove(opts?: { force?: boolean }): Promise<unknown> };
}

export interface OutputVolumeOptions {
  engine: VolumeEngine;
  /** Kernel-side directory holding every output dir (in the state volume). */
  outputRoot: string;
  /** Kernel-side path of the workspace (read-only), copied for snapshots. */
  workspace: string;
  /** Translates a kernel-side path into the path the engine's host sees (identity when the kernel runs on the host). */
  hostPath?: (kernelPath: string) => string;
  /** auto: overlay when the kernel, filesystem and optional probe allow it, else a snapshot. */
  overlay?: 'auto' | 'on' | 'off';
  /** Runs a trivial container on the new volume; a throw means overlay does not work here. */
  probe?: (volumeName: string, signal?: AbortSignal) => Promise<void>;
  quotaBytes?: number;
}

export interface OutputVolume {
  id: string;
  volumeName: string;
  kind: 'overlay' | 'snapshot';
  /** Why the snapshot fallback was chosen (reported to the person), when it was. */
  reason?: string;
  dir: string;
  quotaBytes: number;
  baselineBytes: number;
  manifest?: SnapshotManifest;
}

export const DEFAULT_QUOTA_BYTES = 1024 ** 3;
const OVERLAYFS_MAGIC = 0x794c7630;

/** Why an overlay cannot be used with this output root, or undefined when it can. */
export function overlayProblem(outputRoot: string): string | undefined {
  try {
    if (
      !fs
        .readFileSync('/proc/filesystems', 'utf8')
        .split('\n')
        .some((l) => l.trim().endsWith('overlay'))
    )
      return 'the kernel has no overlay filesystem';
  } catch {
    return 'not a Linux kernel (no /proc/filesystems)';
  }
  if (fs.statfsSync(outputRoot).type === OVERLAYFS_MAGIC)
    return 'the output directory is itself on overlayfs, which cannot hold an upper dir';
  return undefined;
}

/** Who made it (the kernel's holder and this run's boot id): a restarted kernel removes its previous run's volumes. */
const outputLabels = (id: string) => ({ 'airlock.output': id, 'airlock.holder': currentHolder(), 'airlock.boot': BOOT_ID });

export async function createOutputVolume(id: string, o: OutputVolumeOptions, signal?: AbortSignal): Promise<OutputVolume> {
  if (!/^[a-zA-Z0-9_.-]{1,64}$/.test(id)) throw new AirlockError('PATCH_BAD_VOLUME_ID', `bad output volume id ${JSON.stringify(id)}`);
  const host = o.hostPath ?? ((p: string) => p);
  const dir = path.join(o.outputRoot, id);
  fs.mkdirSync(o.outputRoot, { recursive: true, mode: 0o700 });
  fs.mkdirSync(dir, { mode: 0o700 });
  const volumeName = `airlock-out-${id}`;
  const quotaBytes = o.quotaBytes ?? DEFAULT_QUOTA_BYTES;
  const mode = o.overlay ?? 'auto';
  let reason = mode === 'off' ? 'overlay volumes are turned off in the configuration' : overlayProblem(o.outputRoot);
  if (mode === 'on' && reason)
    throw new AirlockError(
      'PATCH_OVERLAY_UNAVAILABLE',
      `overlay output volumes are not available: ${reason}`,
      'set overlay to auto to fall back to a copied snapshot',
    );
  if (!reason) {
    for (const d of ['upper', 'work']) fs.mkdirSync(path.join(dir, d), { mode: 0o755 });
    // The merged view's root takes its owner and mode from the upper dir: make them the workspace root's.
    const ws = fs.statSync(o.workspace);
    // The kernel runs as the workspace user (bootstrap), so this is a no-op there; a kernel running as someone else
    // without CAP_CHOWN keeps the upper dir its own, which is whom its sandboxes run as (AIRLOCK_SANDBOX_USER).
    try {
      fs.chownSync(path.join(dir, 'upper'), ws.uid, ws.gid);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    }
    fs.chmodSync(path.join(dir, 'upper'), ws.mode & 0o7777);
    await o.engine.createVolume({
      Name: volumeName,
      Driver: 'local',
      Labels: outputLabels(id),
      // userxattr: overlayfs keeps its flags (opaque dirs) in user.overlay.*, which the unprivileged kernel can read.
      DriverOpts: {
        type: 'overlay',
        device: 'overlay',
        o: `lowerdir=${host(o.workspace)},upperdir=${host(path.join(dir, 'upper'))},workdir=${host(path.join(dir, 'work'))},userxattr`,
      },
    });
    try {
      await o.probe?.(volumeName, signal);
      return { id, volumeName, kind: 'overlay', dir, quotaBytes, baselineBytes: 0 };
    } catch (err) {
      if (mode === 'on') throw err;
      reason = `the overlay volume did not mount: ${(err as Error).message}`;
      await o.engine
        .getVolume(volumeName)
        .remove({ force: true })
        .catch(() => undefined);
      for (const d of ['upper', 'work']) fs.rmSync(path.join(dir, d), { recursive: true, force: true });
    }
  }
  const snap = path.join(dir, 'snapshot');
  await fs.promises.cp(o.workspace, snap, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
  const manifest = await buildManifest(snap, signal);
  await o.engine.createVolume({
    Name: volumeName,
    Driver: 'local',
    Labels: outputLabels(id),
    DriverOpts: { type: 'none', o: 'bind', device: host(snap) },
  });
  return { id, volumeName, kind: 'snapshot', reason, dir, quotaBytes, baselineBytes: await treeUsage(snap, { signal }), manifest };
}

/** Where generation reads the sandbox's changes from. */
export function patchSource(v: OutputVolume): PatchSource {
  return v.kind === 'overlay'
    ? { type: 'overlay', upper: path.join(v.dir, 'upper') }
    : { type: 'snapshot', dir: path.join(v.dir, 'snapshot'), manifest: v.manifest ?? {} };
}

/** Bytes the sandbox added (allocated blocks, walked on a worker thread; more entries than the walk limit throw). */
export async function volumeUsage(v: OutputVolume, signal?: AbortSignal): Promise<number> {
  return Math.max(0, (await treeUsage(path.join(v.dir, v.kind === 'overlay' ? 'upper' : 'snapshot'), { signal })) - v.baselineBytes);
}

/** Throws PATCH_VOLUME_FULL when the sandbox wrote more than its quota, or more entries than a walk may meet: an error
 * for that sandbox, never the workspace. */
export async function checkQuota(v: OutputVolume, signal?: AbortSignal): Promise<number> {
  let used: number;
  try {
    used = await volumeUsage(v, signal);
  } catch (err) {
    if (!(err instanceof AirlockError) || err.code !== 'PATCH_TOO_MANY_ENTRIES') throw err;
    throw new AirlockError('PATCH_VOLUME_FULL', `sandbox output volume ${v.id}: ${err.message}`, err.hint);
  }
  if (used > v.quotaBytes) {
    throw new AirlockError(
      'PATCH_VOLUME_FULL',
      `sandbox output volume ${v.id} holds ${used} bytes, over its quota of ${v.quotaBytes}`,
      'the sandbox was stopped; raise the output quota in its template or write less',
    );
  }
  return used;
}

/** Polls the quota while a sandbox runs (one walk at a time, off the main thread); `onFull` gets the error once. A poll
 * that cannot measure (unreadable tree) counts as full: the sandbox is stopped rather than left unmeasured. */
export function watchQuota(v: OutputVolume, onFull: (err: AirlockError) => void, intervalMs = 1000): IDisposable {
  const stop = new AbortController();
  let busy = false;
  const t = setInterval(() => {
    if (busy) return;
    busy = true;
    checkQuota(v, stop.signal).then(
      () => {
        busy = false;
      },
      (err) => {
        if (stop.signal.aborted) return;
        clearInterval(t);
        onFull(
          err instanceof AirlockError && err.code === 'PATCH_VOLUME_FULL'
            ? err
            : new AirlockError(
                'PATCH_VOLUME_FULL',
                `sandbox output volume ${v.id} could not be measured: ${(err as Error).message}`,
                'the sandbox was stopped',
              ),
        );
      },
    );
  }, intervalMs);
  t.unref();
  return toDisposable(() => {
    clearInterval(t);
    stop.abort();
  });
}

export async function removeOutputVolume(v: OutputVolume, engine: VolumeEngine): Promise<void> {
  await engine
    .getVolume(v.volumeName)
    .remove({ force: true })
    .catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
  fs.rmSync(v.dir, { recursive: true, force: true });
}
