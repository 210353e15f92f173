// A rootfs folder as the tar an engine imports. Execute-only files (0111) get that mode in the archive only: on disk
// they stay readable, because a normal user's tar could not read a file of theirs that is 0111 and would leave it out.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../protocol/src/errors';

export interface RootfsTarOptions {
  /** Paths in the image (`/usr/bin/tini`) archived with mode 0111. */
  executeOnly?: string[];
  /** Every file belongs to root in the image (a normal user's build: their files on disk are theirs). */
  rootOwned?: boolean;
}

/** Writes `dir` as a tar at `out` (a file, so the execute-only entries can be appended with their own mode). */
export function writeRootfsTar(dir: string, out: string, o: RootfsTarOptions = {}): void {
  const common = ['-C', dir, '--numeric-owner', ...(o.rootOwned ? ['--owner=0', '--group=0'] : [])];
  const xo = (o.executeOnly ?? []).map((p) => `.${path.posix.normalize(p)}`);
  for (const f of xo) {
    if (!fs.existsSync(path.join(dir, f))) throw new AirlockError('IMAGE_BUILD_FAILED', `${f.slice(1)} is missing from the image's files`);
  }
  tar([...common, ...xo.flatMap((f) => ['--exclude', f]), '-cf', out, '.']);
  if (xo.length) tar([...common, '--mode=0111', '-rf', out, ...xo]);
}

function tar(args: string[]): void {
  const r = spawnSync('tar', args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || '').trim().slice(-500);
    throw new AirlockError(
      'IMAGE_BUILD_FAILED',
      `tar ${args.includes('-rf') ? 'append' : 'create'} failed (exit ${r.status}): ${why}`,
      'every file of the image must be readable by the user who builds it',
    );
  }
}
