// A conversation's earlier turns for task/start `history`: the newest that fit the protocol's bounds, oldest first.
import { MAX_HISTORY_CHARS, type HistoryTurn } from './methods/agent';

const MAX_TURNS = 200;
const MAX_TURN_CHARS = 100_000;

/** Keeps the newest turns within the bounds task/start validates (a long turn keeps its end); empty texts are skipped. */
export function boundHistory(turns: readonly HistoryTurn[], maxChars = MAX_HISTORY_CHARS): HistoryTurn[] {
  const out: HistoryTurn[] = [];
  let used = 0;
  for (let i = turns.length - 1; i >= 0 && out.length < MAX_TURNS; i--) {
    const t = turns[i]!;
    const text = t.text.trim().length ? (t.text.length > MAX_TURN_CHARS ? `…${t.text.slice(-(MAX_TURN_CHARS - 1))}` : t.text) : '';
    if (!text) continue;
    if (used + text.length > maxChars) break;
    used += text.length;
    out.unshift({ role: t.role, text });
  }
  return out;
}
