// `airlock audit reset --confirm`: the only way to start a new audit log; recorded as the new log's first entry.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { AuditVerifyReport } from '../../protocol/src/audit';
import { AirlockError } from '../../protocol/src/errors';
import { readAnchor, writeAnchor, type AuditAnchor } from '../../protocol/src/node/audit-anchor';
import { AuditLog } from '../../core/src/audit/log';
import { verifyAuditLog } from '../../core/src/audit/verify';

export interface ResetPaths {
  dbPath: string;
  headPath: string;
  keyPath: string;
  anchorFile: string;
}
export interface ResetResult {
  archivedTo: string | null;
  previous: { logId: string; seq: number; hash: string } | null;
  logId: string;
  seq: number;
  hash: string;
}

/** The old log's id and tail as its database says (null when the database is gone or unreadable). */
function oldTail(dbPath: string): { logId: string; seq: number; hash: string } | null {
  if (!fs.existsSync(dbPath)) return null;
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      const logId = db.prepare(`SELECT value FROM meta WHERE key = 'log_id'`).pluck().get() as string | undefined;
      const row = db.prepare('SELECT seq, lower(hex(hash)) AS hash FROM entries ORDER BY seq DESC LIMIT 1').get() as
        { seq: number; hash: string } | undefined;
      return logId ? { logId, seq: row?.seq ?? 0, hash: row?.hash ?? '' } : null;
    } finally {
      db.close();
    }
  } catch {
    return null;
  }
}

/**
 * Moves the old database, head and key aside (`audit-archive/<time>-<log id>/` in the state folder, kept for
 * inspection), creates a new log whose first entry is `audit.reset` naming the old log and the host's anchor, and
 * anchors the host to the new log. The kernel must not be running (it holds the log open).
 */
export async function resetAuditLog(p: ResetPaths, now = Date.now()): Promise<ResetResult> {
  const anchor: AuditAnchor | undefined = (() => {
    try {
      return readAnchor(p.anchorFile);
    } catch {
      return undefined;
    }
  })();
  const previous = oldTail(p.dbPath);
  const verification: AuditVerifyReport | null = previous ? await verifyAuditLog(p) : null;
  const files = [p.dbPath, `${p.dbPath}-wal`, `${p.dbPath}-shm`, p.headPath, p.keyPath].filter((f) => fs.existsSync(f));
  let archivedTo: string | null = null;
  if (files.length) {
    archivedTo = path.join(
      path.dirname(p.dbPath),
      'audit-archive',
      `${new Date(now).toISOString().replace(/[:.]/g, '-')}-${previous?.logId.slice(0, 12) ?? 'unknown'}`,
    );
    fs.mkdirSync(archivedTo, { recursive: true, mode: 0o700 });
    for (const f of files) fs.renameSync(f, path.join(archivedTo, path.basename(f)));
  }
  // The lock belongs to a kernel that is no longer running (checked by the caller); the new log takes its own.
  fs.rmSync(`${p.dbPath}.lock`, { force: true });
  const log = AuditLog.open({ dbPath: p.dbPath, headPath: p.headPath, keyPath: p.keyPath, writer: 'inline' });
  try {
    await log.append(
      {
        subject: 'cli',
        action: 'audit.reset',
        resource: 'audit',
        decision: 'ok',
        payload: {
          previous,
          anchor: anchor ? { logId: anchor.logId, seq: anchor.seq, hash: anchor.hash, time: anchor.time } : null,
          verification: verification
            ? {
                type: verification.type,
                ...(verification.type === 'tampered' ? { reason: verification.reason, message: verification.message } : {}),
              }
            : null,
          archivedTo,
        },
      },
      { sync: true },
    );
    const head = log.head();
    writeAnchor(p.anchorFile, head);
    return { archivedTo, previous, logId: head.logId, seq: head.seq, hash: head.hash };
  } finally {
    log.dispose();
  }
}

export function requireConfirm(confirm: boolean | undefined): void {
  if (confirm) return;
  throw new AirlockError(
    'CLI_USAGE',
    '`airlock audit reset` starts a new, empty audit log; the old one is moved aside, not deleted',
    'run `airlock audit reset --confirm` to do it (the kernel is stopped first; the reset is the first entry of the new log)',
  );
}
