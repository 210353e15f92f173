// Messages sent while a task runs, and messages refused before sending: pure session edits (the controller emits them).
import { AirlockError } from '../../../protocol/src/errors';
import type { ChatOp } from '../../../protocol/src/webview';
import { type ChatSession, notice } from './sessionModel';

/** Queues `text` behind the running task; the transcript says so. */
export function enqueue(s: ChatSession, text: string): ChatOp[] {
  (s.queued ??= []).push(text);
  return [
    notice(s, 'info', `Queued: "${text.split('\n')[0]!.slice(0, 80)}" runs when the current task ends (${s.queued.length} waiting).`),
  ];
}

/** The oldest queued message, taken off the queue (undefined: none). */
export function dequeue(s: ChatSession): string | undefined {
  const next = s.queued?.shift();
  if (!s.queued?.length) s.queued = undefined;
  return next;
}

/** The kernel went away: queued messages are not sent into it, they go back to the composer (after any draft). */
export function unqueueToDraft(s: ChatSession): ChatOp[] {
  if (!s.queued?.length) return [];
  s.draft = [s.draft, ...s.queued].filter(Boolean).join('\n\n');
  s.queued = undefined;
  return [notice(s, 'warn', 'The queued messages were not sent: they are back in the composer.')];
}

/** A message refused before anything was sent (its context, say): the reason in the transcript, the text back in the composer. */
export function refuseMessage(s: ChatSession, text: string, err: unknown): ChatOp[] {
  const e = AirlockError.from(err);
  s.draft = text;
  return [notice(s, 'error', `Not sent: ${e.message}${e.hint ? ` (${e.hint})` : ''}`)];
}
