// The chat's patch-set cards follow review: merged, partly merged or rejected, from the kernel's record of the set.
import type { PatchSet, ReviewState } from '../../../protocol/src/patches';
import type { ChatItem, ChatOp } from '../../../protocol/src/webview';
import type { ChatSession } from './sessionModel';

type Card = Extract<ChatItem, { type: 'patchset' }>;
export type CardState = NonNullable<Card['state']>;

/**
 * What a card says about a set (review/show): `merged` when everything is in the workspace; `partly-merged` when some
 * of it is and the rest was rejected or is still open; `rejected` when nothing of it will be; else `ready`.
 */
export function cardState(shown: { set: Pick<PatchSet, 'status'>; review: ReviewState; done: readonly string[] }): CardState {
  const { status } = shown.set;
  switch (status) {
    case 'rejected':
      return 'rejected';
    case 'merged': {
      const rejected = Object.values(shown.review).some((r) => r.file === 'reject' || Object.values(r.hunks).includes('reject'));
      return rejected ? 'partly-merged' : 'merged';
    }
    case 'pending':
      return shown.done.length ? 'partly-merged' : 'ready';
    default: {
      const never: never = status;
      return never;
    }
  }
}

/** The session's cards of `setId` moved to `state` (ops for the webview; the session is then saved with them). */
export function setCardState(s: ChatSession, setId: string, state: CardState, now: number): ChatOp[] {
  const ops: ChatOp[] = [];
  s.items.forEach((item, i) => {
    if (item.type !== 'patchset' || item.setId !== setId || (item.state ?? 'ready') === state) return;
    const next: Card = { ...item, state };
    s.items[i] = next;
    ops.push({ type: 'upsert', item: next });
  });
  if (ops.length) s.updatedAt = now;
  return ops;
}

/**
 * The session's patch sets, oldest first, for a follow-up's task/start `proposal` (the kernel seeds the turn from the
 * newest still proposed). A rewind cut the dropped turns' cards from the transcript, so their sets are not sent.
 */
export function sessionProposal(s: Pick<ChatSession, 'items'>): string[] {
  return s.items.flatMap((i) => (i.type === 'patchset' ? [i.setId] : [])).slice(-200);
}

/**
 * A follow-up's set arrived: the session's earlier cards still open say they are superseded (the follow-up started from
 * their open changes, so the new set holds them; merging the newest is enough). Ops for the webview, saved with it.
 */
export function supersedeEarlier(s: ChatSession, setId: string, now: number): ChatOp[] {
  const open = s.items.flatMap((i) =>
    i.type === 'patchset' && i.setId !== setId && ['ready', 'partly-merged'].includes(i.state ?? 'ready') ? [i.setId] : [],
  );
  return open.flatMap((id) => setCardState(s, id, 'superseded', now));
}

/**
 * The set the next turn starts from is the newest not wholly rejected (the kernel's choice, task-seed.ts): when a rewind
 * cut the newer cards or the newer set was rejected, that card may still read superseded. Its set id then (to refresh
 * it from review), else undefined.
 */
export function reopenedProposal(s: Pick<ChatSession, 'items'>): string | undefined {
  const cards = s.items.filter((i): i is Card => i.type === 'patchset');
  const current = [...cards].reverse().find((c) => c.state !== 'rejected');
  return current?.state === 'superseded' ? current.setId : undefined;
}

/** Sessions holding a card of `setId`. */
export function sessionsWithSet(sessions: Iterable<ChatSession>, setId: string): ChatSession[] {
  return [...sessions].filter((s) => s.items.some((i) => i.type === 'patchset' && i.setId === setId));
}
