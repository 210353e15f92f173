// The SQLite stores the kernel owns besides the audit log (its own verify covers audit.db), and their start-up check.
import * as path from 'node:path';
import type { StoreSpec } from '../../../core/src/store/check';
import { recoverStore, type StoreRecovery } from '../../../core/src/store/recover';
import type { IAuditLog } from '../../../core/src/audit/types';
import { SESSIONS_DB, SESSIONS_SCHEMA } from '../sessions/store';
import { WorkflowStore } from '../workflow/store';
import { WORKFLOW_DB } from '../workflow/wiring';

/** workflow.db has no migrations (user_version 0) and keeps a hash chain, verified by opening it as the kernel does. */
export function kernelStores(stateDir: string): StoreSpec[] {
  return [
    { name: 'workflow', file: path.join(stateDir, WORKFLOW_DB), version: 0, tables: ['wf_sessions', 'wf_transitions'],
      verify: (file) => new WorkflowStore(file).dispose() },
    { name: 'sessions', file: path.join(stateDir, SESSIONS_DB), ...SESSIONS_SCHEMA },
  ];
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
  const what = r.snapshot ? `restored the snapshot of ${new Date(r.snapshot.at).toISOString()}` : r.movedTo ? 'started it empty' : 'kept it';
  return `store ${r.store} (${path.basename(r.file)}) was damaged (${r.problem}: ${r.message}); ${what}` +
    `${r.movedTo ? `; the damaged file is kept at ${r.movedTo}` : ''}. Lost: ${r.lost}`;
}

/**
 * Runs before any of these stores is opened. Each recovery is written to the kernel's log and, synchronously, to the
 * audit log before the store is used; the report also stays in `<state>/damaged/` (`airlock state check`).
 */
export async function checkKernelStores(specs: StoreSpec[], sinks: StoreCheckSinks): Promise<StoreRecovery[]> {
  const out: StoreRecovery[] = [];
  for (const spec of specs) {
    const r = recoverStore(spec);
    if (!r) continue;
    out.push(r);
    sinks.warn(describeRecovery(r));
    const log = sinks.audit();
    if (!log) { sinks.warn(`(not in the audit log: it is not available; the report is in ${path.dirname(r.file)}/damaged)`); continue; }
    await log.append({ subject: 'kernel', action: recoveryAction(r), resource: path.basename(r.file),
      payload: { store: r.store, problem: r.problem, message: r.message, movedTo: r.movedTo, snapshotAt: r.snapshot?.at ?? null, lost: r.lost } }, { sync: true });
  }
  return out;
}
