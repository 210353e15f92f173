// "Rewind to here": the kernel withdraws the dropped turns' patch sets (task/rewind), then the transcript is cut there.
import { AirlockError } from '../../../protocol/src/errors';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import type { TaskRewindResult } from '../../../protocol/src/methods/agent';
import { type ChatSession, notice, rewindPlan, truncateAt } from './sessionModel';

/** What the session says after a rewind: turns dropped, sets withdrawn, and any set the workspace already has. */
export function rewindNotice(turns: number, r: TaskRewindResult): { level: 'info' | 'warn'; text: string } {
  const n = (k: number, one: string) => `${k} ${one}${k === 1 ? '' : 's'}`;
  const withdrawn = r.turns.filter((t) => t.outcome === 'withdrawn').length;
  const merged = r.turns.filter((t) => t.outcome === 'merged');
  const text =
    `Rewound: ${n(turns, 'message')} and what followed dropped from the conversation (the audit log keeps them)` +
    `${withdrawn ? `; ${n(withdrawn, 'patch set')} withdrawn from review` : ''}. Nothing in the workspace moved. Edit the message and send to continue.` +
    (merged.length
      ? ` Already merged, so still in the workspace: ${merged.map((t) => t.setId).join(', ')} (Airlock: Undo Last Merge takes a merge back).`
      : '');
  return { level: merged.length ? 'warn' : 'info', text };
}

/**
 * Rewinds the session to before the message `itemId`: the kernel records the rewind and withdraws the later turns'
 * patch sets first; only then is the transcript cut, the message put back in the composer, and a notice added. When the
 * kernel refuses (a task still running, no audit log), nothing changes here either.
 */
export async function rewindSession(s: ChatSession, itemId: string, client: () => Promise<RpcClient>): Promise<void> {
  if (s.running) throw new AirlockError('CHAT_BUSY', 'a task is running in this session', 'stop it first, then rewind');
  const plan = rewindPlan(s, itemId);
  if (!plan)
    throw new AirlockError(
      'CHAT_NO_MESSAGE',
      'that message is not in this session any more',
      'pick one of your messages in the transcript',
    );
  const r: TaskRewindResult = plan.tasks.length
    ? await (
        await client()
      ).request('task/rewind', { tasks: plan.tasks, reason: `chat rewind to before: ${plan.text.slice(0, 200)}` }, { timeoutMs: 30_000 })
    : { turns: [] };
  truncateAt(s, plan.index, Date.now());
  s.draft = plan.text;
  const said = rewindNotice(plan.turns, r);
  notice(s, said.level, said.text);
}
