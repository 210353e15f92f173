// The audit signing key: 32 random bytes in a file outside the database (STATE_DIR/keys/audit.key, mode 0600).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';

export const AUDIT_KEY_MISSING = 'AUDIT_KEY_MISSING';
export const AUDIT_KEY_INVALID = 'AUDIT_KEY_INVALID';

/** Reads the key; creates it (0600, folder 0700) only when `create` is set and no key exists yet. */
export function loadAuditKey(file: string, opts: { create?: boolean } = {}): Buffer {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new AirlockError(
        AUDIT_KEY_INVALID,
        `cannot read the audit key ${file}: ${(e as Error).message}`,
        'run as the user that owns the kernel state directory',
      );
    }
    if (!opts.create) {
      throw new AirlockError(
        AUDIT_KEY_MISSING,
        `no audit key at ${file}`,
        'pass --key PATH (the kernel keeps it in its state directory under keys/audit.key)',
      );
    }
    return createKey(file);
  }
  const key = Buffer.from(text.trim(), 'hex');
  if (key.length !== 32 || key.toString('hex') !== text.trim().toLowerCase()) {
    throw new AirlockError(
      AUDIT_KEY_INVALID,
      `the audit key ${file} is not 64 hex digits`,
      'restore the key file from a backup; a new key cannot verify the old log',
    );
  }
  return key;
}

function createKey(file: string): Buffer {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = crypto.randomBytes(32);
  try {
    // 'wx': never overwrite a key another process created a moment ago.
    fs.writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return loadAuditKey(file);
    throw new AirlockError(AUDIT_KEY_INVALID, `cannot create the audit key ${file}: ${(e as Error).message}`);
  }
  return key;
}
