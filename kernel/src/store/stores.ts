// The SQLite stores the kernel owns besides the audit log (its own verify covers audit.db), and their start-up check.
import * as path from 'node:path';
import type { StoreSpec } from '../../../core/src/store/check';
import { listReports, recoverStore, type StoreRecovery, writeReport } from '../../../core/src/store/recover';
import type { IAuditLog } from '../../../core/src/audit/types';
import { kernelStoreSpecs } from '../../../core/src/store/kernel-stores';
import { WorkflowStore } from '../workflow/store';

/** workflow.db has no migrations (user_version 0) and keeps a hash chain, verified by opening it as the kernel does. */
export function kernelStores(stateDir: string): StoreSpec[] {
  return kernelStoreSpecs(stateDir).map((s) =>
    s.name === 'workflow' ? { ...s, verify: (file: string) => new WorkflowStore(file).dispose() } : s,
  );
}

export interface StoreCheckSinks {
  /** The audit log, when it opened intact (a recovery is then recorded as `store.restored`, `store.reset` or `store.wal-lost`). */
  audit(): IAuditLog | undefined;
  warn(line: string): void;
}

export function recoveryAction(r: StoreRecovery): 'store.restored' | 'store.reset' | 'store.wal-lost' {
  return r.snapshot ? 'store.restored' : r.movedTo ? 'store.reset' : 'store.wal-lost';
}

export function describeRecovery(r: StoreRecovery): string {
  const what = r.snapshot
    ? `restored the snapshot of ${new Date(r.snapshot.at).toISOString()}`
    : r.movedTo
      ? 'started it empty'
      : 'kept it';
  return (
    `store ${r.store} (${path.basename(r.file)}) was damaged (${r.problem}: ${r.message}); ${what}` +
    `${r.movedTo ? `; the damaged file is kept at ${r.movedTo}` : ''}. Lost: ${r.lost}`
  );
}

/**
 * Runs before any of these stores is opened. Each recovery is written to the kernel's log and, synchronously, to the
 * audit log before the store is used; its report stays in `<state>/damaged/` (`airlock state check`). Reports the audit
 * log has not taken yet (it was unavailable, or `airlock state restore` wrote them) are recorded now.
 */
export async function checkKernelStores(stateDir: string, specs: StoreSpec[], sinks: StoreCheckSinks): Promise<StoreRecovery[]> {
  const out: StoreRecovery[] = [];
  for (const spec of specs) {
    const r = recoverStore(spec);
    if (!r) continue;
    out.push(r);
    sinks.warn(describeRecovery(r));
  }
  const log = sinks.audit();
  const pending = listReports(stateDir).filter((r) => !r.recordedInAudit);
  if (pending.length && !log) {
    sinks.warn(
      `${pending.length} store recovery report(s) not in the audit log yet (it is not available): ${path.join(stateDir, 'damaged')}`,
    );
  }
  for (const r of log ? pending : []) {
    await log!.append(
      {
        subject: 'kernel',
        action: recoveryAction(r),
        resource: path.basename(r.file),
        payload: {
          store: r.store,
          problem: r.problem,
          message: r.message,
          movedTo: r.movedTo,
          snapshotAt: r.snapshot?.at ?? null,
          lost: r.lost,
          at: r.at,
        },
      },
      { sync: true },
    );
    writeReport({ ...r, recordedInAudit: true });
  }
  return out;
}
