// One line for a view's message area: what failed, its error code and the hint, so a person can act on a kernel error.
import { AirlockError } from '../../protocol/src/errors';

export function viewErrorText(err: unknown): string {
  const e = AirlockError.from(err);
  return `${e.message} (${e.code})${e.hint ? ` — ${e.hint}` : ''}`;
}
