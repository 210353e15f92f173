// task/rewind: drops turns of a conversation, withdrawing their patch sets from review; the workspace never moves.
import type { Handler } from '../../../../protocol/src/rpc-server';
import { recordThenAct } from '../../audit/record';
import { type RewindDeps, rewindTurns } from '../../agent/rewind';
import type { AuditWriter } from '../../services';

// Record, then act: the person's rewind (which turns, why) is durable before any set is withdrawn; each withdrawal is
// then recorded again as review.decide by the patch service.
export const rewind =
  (s: AuditWriter & RewindDeps): Handler<'task/rewind'> =>
  async (p) => {
    const entry = {
      session: p.tasks[0],
      subject: 'user',
      action: 'task.rewind',
      resource: p.tasks[0],
      payload: { tasks: p.tasks, ...(p.reason ? { reason: p.reason } : {}) },
    };
    return recordThenAct(
      () => s.audit.writer,
      entry,
      () => rewindTurns(s, p),
    );
  };
