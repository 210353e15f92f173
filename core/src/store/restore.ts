// A restore on request (`airlock state restore`): the current file kept aside, the chosen snapshot put back, the loss stated.
import * as fs from 'node:fs';
import { AirlockError } from '../../../protocol/src/errors';
import { checkStoreFile, type StoreSpec, tableCounts } from './check';
import { moveAside, type StoreRecovery, writeReport } from './recover';
import type { Snapshot } from './snapshots';

/** Only with the kernel stopped (the caller checks). The report waits in `damaged/` for the kernel to audit it at start. */
export function restoreSnapshot(spec: StoreSpec, snap: Snapshot, now = Date.now()): StoreRecovery {
  const snapCheck = checkStoreFile({ ...spec, file: snap.file });
  if (!snapCheck.ok) {
    throw new AirlockError(
      'STORE_SNAPSHOT_BAD',
      `snapshot ${snap.file} is not usable: ${snapCheck.message}`,
      'pick another one (`airlock state check` lists them)',
    );
  }
  const before = fs.existsSync(spec.file) ? tableCounts(spec.file) : undefined;
  const movedTo = fs.existsSync(spec.file) ? moveAside(spec.file, now) : null;
  fs.copyFileSync(snap.file, `${spec.file}.restore`);
  fs.renameSync(`${spec.file}.restore`, spec.file);
  const after = tableCounts(spec.file) ?? {};
  const counts = before
    ? ` (rows, replaced file → restored: ${Object.entries(before)
        .map(([t, n]) => `${t} ${n} → ${after[t] ?? 0}`)
        .join(', ')})`
    : '';
  return writeReport({
    store: spec.name,
    file: spec.file,
    problem: 'manual',
    message: 'restored on request (`airlock state restore`)',
    movedTo,
    snapshot: { file: snap.file, at: snap.at },
    lost: `every change after ${new Date(snap.at).toISOString()} (the snapshot restored)${counts}`,
    at: now,
    recordedInAudit: false,
  });
}
