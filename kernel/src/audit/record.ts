// Record, then act: a security state change happens only after its audit entry is written; no log means no change.
import type { AuditInput } from '../../../protocol/src/audit';
import { AirlockError } from '../../../protocol/src/errors';
import type { IAuditLog } from '../../../core/src/audit/types';

export const AUDIT_UNAVAILABLE = 'AUDIT_UNAVAILABLE';

/** What a recorder needs of the log. */
export type AuditAppender = Pick<IAuditLog, 'append'>;
/**
 * Where the log comes from at the moment of the change: a getter (KernelAudit's `writer` throws AUDIT_UNAVAILABLE when
 * the log could not be opened) or nothing (then every change is refused).
 */
export type AuditSource = (() => AuditAppender) | undefined | null;

function unavailable(why: string): AirlockError {
  return new AirlockError(AUDIT_UNAVAILABLE, why, 'run `airlock doctor`; fix the audit log, then retry');
}

function resolve(source: AuditSource): AuditAppender {
  if (!source) throw unavailable('no audit log is configured');
  return source();
}

/** Keeps the log's own code (AUDIT_WRITE_FAILED, AUDIT_BROKEN, ...) and says that nothing changed. */
function refused(e: unknown, action: string): AirlockError {
  const a = AirlockError.from(e, 'AUDIT_WRITE_FAILED');
  return new AirlockError(
    a.code,
    `${action} was not recorded, so nothing was changed: ${a.message}`,
    a.hint ?? 'check the audit log (`airlock audit verify`) and retry',
    a.details,
  );
}

/**
 * Appends `entry` durably (synchronous entry: the promise resolves after its commit), then runs `act`. When the log
 * is absent, damaged or cannot write, `act` never runs and the caller gets an AirlockError.
 */
export function recordThenAct<T>(source: AuditSource, entry: AuditInput, act: () => T | Promise<T>): Promise<T> {
  return recordWithThenAct(source && (() => source().append(entry, { sync: true })), entry.action, act);
}

/**
 * The same rule for a module that records through its own sink (PatchService's PatchAuditSink): `record` must finish
 * (durably) before `act` runs; no recorder, or one that throws, and nothing changes.
 */
export async function recordWithThenAct<T>(
  record: (() => unknown) | undefined | null,
  action: string,
  act: () => T | Promise<T>,
): Promise<T> {
  try {
    if (!record) throw unavailable('no audit log is configured');
    await record();
  } catch (e) {
    throw refused(e, action);
  }
  return act();
}

/**
 * For callers that must stay synchronous: the entry joins the hash chain (buffered) before `act` runs, and a log that
 * is absent, closed or damaged refuses it first. A later commit failure stops the log from taking further entries.
 */
export function recordThenActNow<T>(source: AuditSource, entry: AuditInput, act: () => T): T {
  try {
    resolve(source).append(entry);
  } catch (e) {
    throw refused(e, entry.action);
  }
  return act();
}
