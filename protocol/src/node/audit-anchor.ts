// The host's anchor of the kernel's audit log: the last (log id, sequence, head hash) it saw, kept outside the state volume.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { type AuditHead, Hash } from '../audit';
import { AirlockError } from '../errors';
import type { RpcClient } from '../rpc-client';

export const AUDIT_ROLLBACK = 'AUDIT_ROLLBACK';
export const AUDIT_REPLACED = 'AUDIT_REPLACED';
export const AUDIT_ANCHOR_INVALID = 'AUDIT_ANCHOR_INVALID';

/** Beside the kernel's state folder (`<root>/state` is the bind-mounted volume; this file is not in it). */
export const ANCHOR_FILE = 'audit-anchor.json';

export const AuditAnchor = z
  .object({
    v: z.literal(1),
    logId: z.string().regex(/^[0-9a-f]{32}$/),
    seq: z.number().int().nonnegative(),
    hash: Hash,
    /** When the host last saw this head (ms). */
    time: z.number().int(),
  })
  .strict();
export type AuditAnchor = z.infer<typeof AuditAnchor>;

const RESET_HINT =
  'if you removed or replaced the audit log on purpose, start a new one with `airlock audit reset --confirm` ' +
  '(recorded as the first entry of the new log); otherwise restore the state folder from a backup';

export function anchorFile(root: string): string {
  return path.join(root, ANCHOR_FILE);
}

/** The stored anchor; undefined when the host never saw this kernel's log. A damaged file is an error, never ignored. */
export function readAnchor(file: string): AuditAnchor | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AirlockError(AUDIT_ANCHOR_INVALID, `cannot read the audit anchor ${file}: ${(e as Error).message}`);
  }
  try {
    return AuditAnchor.parse(JSON.parse(text));
  } catch (e) {
    throw new AirlockError(
      AUDIT_ANCHOR_INVALID,
      `the audit anchor ${file} is damaged: ${(e as Error).message}`,
      'restore it from a backup, or see docs/audit.md (host anchor)',
    );
  }
}

/** Temp file + fsync + rename: a crash leaves the old anchor or the new one. */
export function writeAnchor(file: string, a: Omit<AuditAnchor, 'v' | 'time'>, now = Date.now()): AuditAnchor {
  const anchor: AuditAnchor = { v: 1, logId: a.logId, seq: a.seq, hash: a.hash, time: now };
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(anchor) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  return anchor;
}

/**
 * Throws when the kernel's log is not a continuation of the anchored one: another log id (deleted and started over,
 * or swapped), a tail behind the anchor (newest entries removed), or a different entry where the anchor points.
 */
export function checkAnchor(anchor: AuditAnchor | undefined, head: AuditHead): void {
  if (!anchor) return;
  const seen = `entry ${anchor.seq} of log ${anchor.logId.slice(0, 12)}… (seen ${new Date(anchor.time).toISOString()})`;
  if (head.logId !== anchor.logId) {
    throw new AirlockError(
      AUDIT_REPLACED,
      `the kernel's audit log (${head.logId.slice(0, 12)}…, ${head.seq} entries) is not the log this host last saw, ${seen}: it was deleted or replaced`,
      RESET_HINT,
    );
  }
  if (head.seq < anchor.seq) {
    throw new AirlockError(
      AUDIT_ROLLBACK,
      `the kernel's audit log ends at entry ${head.seq}, but this host already saw ${seen}: entries ${head.seq + 1}..${anchor.seq} were removed or an older copy was restored`,
      RESET_HINT,
    );
  }
  // `at` is null only when retention pruned the anchored entry: the kernel's own checkpoint covers that stretch.
  if (head.at && head.at.hash !== anchor.hash) {
    throw new AirlockError(
      AUDIT_REPLACED,
      `entry ${anchor.seq} of the kernel's audit log differs from the one this host saw: the log was rewritten`,
      RESET_HINT,
    );
  }
}

/** Asks the kernel for its head, checks it against the anchor, and moves the anchor forward. */
export async function syncAnchor(
  client: Pick<RpcClient, 'request'>,
  file: string,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<AuditAnchor> {
  const anchor = readAnchor(file);
  const head = await client.request('audit/head', anchor ? { at: anchor.seq } : {}, opts);
  checkAnchor(anchor, head);
  // A concurrent client (the extension and a CLI command) may have moved it further meanwhile: never move it back.
  const now = readAnchor(file);
  if (now && now.logId === head.logId && now.seq > head.seq) return now;
  return writeAnchor(file, head);
}

export const isAnchorError = (e: unknown): boolean =>
  e instanceof AirlockError && (e.code === AUDIT_ROLLBACK || e.code === AUDIT_REPLACED || e.code === AUDIT_ANCHOR_INVALID);
