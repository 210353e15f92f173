// `/rewind [N]` in `airlock chat`: keep the first N turns; the later ones leave the conversation, their patch sets review.
import { AirlockError } from '../../../protocol/src/errors';
import type { TaskRewindResult } from '../../../protocol/src/methods/agent';
import type { IKernelClient } from '../../../protocol/src/rpc-client';
import type { CliIO } from '../command';

/** One finished turn of the chat: what the person said and the task that answered it. */
export interface ChatTurn {
  user: string;
  agent: string;
  taskId: string;
  /** The turn's patch set, when it made one (the next turn starts from the newest still proposed). */
  setId?: string;
}

const firstLine = (t: string) => t.split('\n')[0]!.slice(0, 70);

/**
 * Without N: the turns, numbered. With N: the kernel records the rewind and withdraws the patch sets of turns N+1..
 * (task/rewind) first; only then are those turns dropped from `turns` (the next message no longer carries them). The
 * workspace never moves: a set already merged is named and stays merged.
 */
export async function rewindChat(
  client: IKernelClient,
  io: CliIO,
  turns: ChatTurn[],
  arg: string | undefined,
  running: boolean,
): Promise<void> {
  if (arg === undefined) {
    if (!turns.length) {
      io.out('no turns yet');
      return;
    }
    turns.forEach((t, i) => io.out(`  ${i + 1}. ${firstLine(t.user)}  (${t.taskId})`));
    io.out('(/rewind N keeps turns 1..N and drops the rest; /rewind 0 drops them all)');
    return;
  }
  if (!/^\d+$/.test(arg) || Number(arg) > turns.length) {
    throw new AirlockError('CLI_USAGE', `bad turn ${JSON.stringify(arg)}`, `a number from 0 to ${turns.length} (/rewind lists the turns)`);
  }
  if (running) throw new AirlockError('CHAT_BUSY', 'a task is running', 'stop it (/stop or Ctrl+C), then rewind');
  const keep = Number(arg);
  const dropped = turns.slice(keep);
  if (!dropped.length) {
    io.out(`nothing to rewind: the chat has ${turns.length} turn(s)`);
    return;
  }
  const r: TaskRewindResult = await client.request('task/rewind', {
    tasks: dropped.map((t) => t.taskId),
    reason: `airlock chat /rewind ${keep}`,
  });
  turns.splice(keep);
  const withdrawn = r.turns.filter((t) => t.outcome === 'withdrawn').map((t) => t.setId);
  const merged = r.turns.filter((t) => t.outcome === 'merged').map((t) => t.setId);
  io.out(
    `rewound to turn ${keep}: ${dropped.length} turn(s) dropped from the conversation (the audit log keeps them)` +
      `${withdrawn.length ? `; withdrawn from review: ${withdrawn.join(', ')}` : ''}; the workspace did not change`,
  );
  if (merged.length) io.out(`already merged, so still in the workspace: ${merged.join(', ')} (airlock review undo takes a merge back)`);
}
