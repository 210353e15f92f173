// One writer per audit log: a lock file beside the database, so a second writer cannot fork the chain or the head.
import * as fs from 'node:fs';
import { AirlockError } from '../../../protocol/src/errors';
import { type IDisposable, toDisposable } from '../../../protocol/src/lifecycle';

export const AUDIT_LOCKED = 'AUDIT_LOCKED';

const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `${dbPath}.lock`. A lock left by a dead process is stale and taken over; so is one with our own pid that this
 * process does not hold (a restarted container where the kernel is pid 1 again).
 */
export function lockWriter(dbPath: string): IDisposable {
  const file = `${dbPath}.lock`;
  if (heldHere.has(file)) throw locked(file, process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      heldHere.add(file);
      return toDisposable(() => {
        heldHere.delete(file);
        fs.rmSync(file, { force: true });
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw locked(file, pid);
      fs.rmSync(file, { force: true });
    }
  }
  throw locked(file, NaN);
}

function locked(file: string, pid: number): AirlockError {
  return new AirlockError(
    AUDIT_LOCKED,
    `the audit log is already open for writing (${file}, pid ${pid})`,
    'only one kernel may write a state directory; stop the other one',
  );
}
