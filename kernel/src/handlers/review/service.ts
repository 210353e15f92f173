// The patch service for review handlers, or a clear error when the kernel runs without one.
import { AirlockError, ErrorCodes } from '../../../../protocol/src/errors';
import type { PatchService } from '../../patches/service';
import type { KernelServices } from '../../services';

export function patches(s: KernelServices): PatchService {
  if (!s.patches) throw new AirlockError(ErrorCodes.Internal, 'the patch service is not running', 'restart the kernel');
  return s.patches;
}
