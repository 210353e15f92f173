// Context management: conservative tool-result truncation with a note, and a sliding window plus a summary of what fell out.
import type { ChatMessage } from '../../../protocol/src/agent';
import type { HistoryTurn } from '../../../protocol/src/methods/agent';
import { countMessage, type ITokenCounter } from './tokens';

export interface Truncated {
  text: string;
  truncated: boolean;
  originalTokens: number;
}

/** Keeps the head (2/3) and tail (1/3) of a tool result by whole lines, with a note telling the model how to see more. */
export function truncateToolResult(text: string, maxTokens: number, counter: ITokenCounter): Truncated {
  const originalTokens = counter.count(text);
  if (originalTokens <= maxTokens) return { text, truncated: false, originalTokens };
  const lines = text.split('\n');
  // Characters per token of this very text, so the cut lands near the budget without re-counting every line.
  const cpt = text.length / Math.max(1, originalTokens);
  const budgetChars = Math.max(0, Math.floor(maxTokens * cpt * 0.95) - 200);
  const headChars = Math.floor((budgetChars * 2) / 3);
  const tailChars = budgetChars - headChars;
  const head: string[] = [];
  let used = 0;
  for (const l of lines) {
    if (used + l.length + 1 > headChars) break;
    head.push(l);
    used += l.length + 1;
  }
  const tail: string[] = [];
  used = 0;
  for (let i = lines.length - 1; i >= head.length; i--) {
    if (used + lines[i].length + 1 > tailChars) break;
    tail.unshift(lines[i]);
    used += lines[i].length + 1;
  }
  if (!head.length && !tail.length) head.push(text.slice(0, budgetChars)); // one huge line
  const omitted = lines.length - head.length - tail.length;
  const note = `[... Airlock truncated this tool result: ${originalTokens} tokens exceed the ${maxTokens}-token limit; kept the first ${head.length} and last ${tail.length} of ${lines.length} lines (${omitted} omitted). Ask for a narrower range (fs.read startLine/endLine, a more specific search) to see the rest ...]`;
  return { text: [...head, note, ...tail].join('\n'), truncated: true, originalTokens };
}

/**
 * A conversation's earlier turns as model messages: consecutive turns of one side joined (vendors want user and
 * assistant to alternate), starting with the person and ending with an answer, so the new prompt follows naturally.
 */
export function historyMessages(history: readonly HistoryTurn[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const t of history) {
    const last = out.at(-1);
    if (!out.length && t.role === 'assistant') continue;
    if (last && last.role === t.role) last.content = `${last.content}\n\n${t.text}`;
    else out.push(t.role === 'user' ? { role: 'user', content: t.text } : { role: 'assistant', content: t.text, toolCalls: [] });
  }
  if (out.at(-1)?.role === 'user') out.push({ role: 'assistant', content: '(no answer: that task ended without one)', toolCalls: [] });
  return out;
}

export interface WindowResult {
  messages: ChatMessage[];
  dropped: number;
  summaryTokens: number;
  tokens: number;
}

/** An assistant turn and its tool results stay together: vendors reject a tool result without its call. */
function units(messages: ChatMessage[]): ChatMessage[][] {
  const out: ChatMessage[][] = [];
  for (const m of messages) {
    if (m.role === 'tool' && out.length && out[out.length - 1][0].role === 'assistant') out[out.length - 1].push(m);
    else out.push([m]);
  }
  return out;
}

/** A deterministic digest of dropped messages: what was asked, which tools ran and how they ended. */
export function summarise(dropped: ChatMessage[], maxChars: number): string {
  const lines: string[] = [];
  const results = new Map<string, ChatMessage & { role: 'tool' }>();
  for (const m of dropped) if (m.role === 'tool') results.set(m.toolCallId, m);
  for (const m of dropped) {
    switch (m.role) {
      case 'user':
        lines.push(`- user: ${oneLine(m.content, 200)}`);
        break;
      case 'assistant':
        if (m.content) lines.push(`- you said: ${oneLine(m.content, 200)}`);
        for (const c of m.toolCalls) {
          const r = results.get(c.id);
          lines.push(
            `- you called ${c.name} ${oneLine(c.arguments, 120)} -> ${r ? `${r.isError ? 'error' : 'ok'}: ${oneLine(r.content, 100)}` : 'no result'}`,
          );
        }
        break;
      case 'tool':
        break; // reported with its call
      default: {
        const never: never = m;
        return never;
      }
    }
  }
  let body = lines.join('\n');
  if (body.length > maxChars) body = body.slice(0, maxChars) + '\n- ... (older steps omitted)';
  return `[Airlock context note: ${dropped.length} earlier messages were removed to fit the model's context window. Summary of them:]\n${body}`;
}

function oneLine(s: string, max: number): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? t.slice(0, max) + '…' : t;
}

/**
 * Fits the conversation into `budgetTokens`: always keeps the first user message (the task) and the newest turns that
 * fit; everything between is replaced by one summary message placed right after the task.
 * `history`: how many messages before the task are earlier turns of the conversation (task/start `history`). They go
 * first when the window is full: summarised in front of the task, which stays whole.
 */
export function fitWindow(messages: ChatMessage[], budgetTokens: number, counter: ITokenCounter, history = 0): WindowResult {
  const cost = (ms: ChatMessage[]) => ms.reduce((n, m) => n + countMessage(counter, m), 0);
  const total = cost(messages);
  const task = messages[history];
  if (history > 0 && total > budgetTokens && task?.role === 'user') {
    const digest = summarise(messages.slice(0, history), Math.min(6_000, Math.floor(budgetTokens * 0.3)));
    const r = fitWindow([{ role: 'user', content: `${digest}\n\n${task.content}` }, ...messages.slice(history + 1)], budgetTokens, counter);
    return { ...r, dropped: r.dropped + history, summaryTokens: r.summaryTokens + counter.count(digest) };
  }
  if (total <= budgetTokens || messages.length < 3) return { messages, dropped: 0, summaryTokens: 0, tokens: total };
  const [first, ...rest] = units(messages);
  const summaryReserve = Math.min(2_000, Math.floor(budgetTokens * 0.1));
  let room = budgetTokens - cost(first) - summaryReserve;
  const kept: ChatMessage[][] = [];
  const rs = units(rest.flat());
  for (let i = rs.length - 1; i >= 0; i--) {
    const c = cost(rs[i]);
    if (c > room) break;
    kept.unshift(rs[i]);
    room -= c;
  }
  let keptFrom = rs.length - kept.length;
  let maxChars = summaryReserve * 3; // ~3 characters per token for the digest, shrunk below if the text is denser
  for (;;) {
    const droppedMsgs = rs.slice(0, keptFrom).flat();
    if (!droppedMsgs.length) return { messages, dropped: 0, summaryTokens: 0, tokens: total };
    const summary: ChatMessage = { role: 'user', content: summarise(droppedMsgs, maxChars) };
    const summaryTokens = countMessage(counter, summary);
    const out = [...first, summary, ...rs.slice(keptFrom).flat()];
    const tokens = cost(out);
    if (tokens <= budgetTokens || (keptFrom >= rs.length && maxChars < 200))
      return { messages: out, dropped: droppedMsgs.length, summaryTokens, tokens };
    if (summaryTokens > summaryReserve && maxChars >= 200) maxChars = Math.floor(maxChars / 2);
    else keptFrom++;
  }
}
