// The kernel's own folder: the built-in policy protects it, so the kernel refuses to run if its code is elsewhere.
import * as fs from 'node:fs';
import { AirlockError, ErrorCodes } from '../../protocol/src/errors';
import { type Assets, assets } from '../../protocol/src/node/assets';
import { confinePath, REAL_PATH } from '../../protocol/src/paths';

/** Returns the protected folder; throws when the running entry file is outside it, or when a kernel in a container
 * is not running from the image layout (its protections would guard a folder that holds nothing of it). */
export function checkOwnFolder(
  entry: string | undefined = process.argv[1],
  a: Assets = assets(),
  inContainer = process.env.AIRLOCK_IN_CONTAINER === '1',
): string {
  const dir = fs.realpathSync(a.kernelDir);
  const code = entry ? fs.realpathSync(entry) : '';
  if (!code || confinePath(dir, code, REAL_PATH).type !== 'ok') {
    throw new AirlockError(
      ErrorCodes.KernelStart,
      `the kernel's code (${code || 'unknown'}) is not inside the folder its built-in policy protects (${dir})`,
      'start the kernel from its bundle (dist/kernel/kernel.js) or the kernel image',
    );
  }
  if (inContainer && a.layout !== 'image') {
    throw new AirlockError(
      ErrorCodes.KernelStart,
      `the kernel runs in a container but its files are laid out as "${a.layout}" (${dir})`,
      'rebuild the kernel image (`airlock doctor` builds it); a custom image must keep /opt/airlock/dist/kernel/kernel.js',
    );
  }
  return dir;
}
