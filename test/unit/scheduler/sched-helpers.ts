// Shared by the scheduler's unit tests: a preemptor that logs, work a test ends by hand, an error's code and message.
import type { AirlockError } from '../../../protocol/src/errors';
import type { IPreemptor } from '../../../kernel/src/scheduler/types';

export class LogPreemptor implements IPreemptor {
  readonly log: string[] = [];
  failPause = false;
  async pause(id: string): Promise<void> {
    if (this.failPause) throw new Error('engine refused to pause');
    this.log.push(`pause ${id}`);
  }
  async resume(id: string): Promise<void> {
    this.log.push(`resume ${id}`);
  }
}

/** Work that runs until the test ends it (or its signal aborts). */
export function gate() {
  const runs: Array<{ attempt: number; end: () => void; signal: AbortSignal }> = [];
  const work = (ctx: { attempt: number; signal: AbortSignal }) =>
    new Promise<void>((resolve, reject) => {
      runs.push({ attempt: ctx.attempt, end: resolve, signal: ctx.signal });
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
    });
  return { runs, work };
}

export const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as AirlockError).code + ': ' + (e as Error).message;
  }
  return 'no error';
};
