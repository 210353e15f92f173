// A stored session as files a person keeps: self-contained JSON, a Markdown transcript, and a replay `airlock run` plays.
import type { ReplayTurn, StreamEvent, TaskEvent } from '../../../protocol/src/agent';
import { boundHistory } from '../../../protocol/src/history';
import type { HistoryTurn } from '../../../protocol/src/methods/agent';
import type { SessionSummary, StoredEvent } from '../../../protocol/src/methods/sessions';

/**
 * The model's side of the transcript as replay turns: each turn's text, its tool calls (with the arguments the model
 * produced), usage and how it finished. Replaying it runs the same tool calls against the workspace as it is now.
 */
export function replayTurns(events: StoredEvent[]): ReplayTurn[] {
  const turns: ReplayTurn[] = [];
  let cur: { turn: number; events: StreamEvent[]; calls: number } | undefined;
  const end = () => {
    if (!cur) return;
    cur.events.push({ type: 'finish', reason: cur.calls ? 'tool-calls' : 'stop' });
    turns.push({ turn: cur.turn, events: cur.events });
    cur = undefined;
  };
  for (const { event: e } of events) {
    switch (e.type) {
      case 'turn-start':
        end();
        cur = { turn: e.turn, events: [], calls: 0 };
        break;
      case 'text-delta':
        cur?.events.push({ type: 'text-delta', text: e.text });
        break;
      case 'tool-call': {
        if (!cur) break;
        const index = cur.calls++;
        cur.events.push(
          { type: 'tool-call-start', index, id: e.call.id, name: e.call.name },
          { type: 'tool-call-delta', index, id: e.call.id, argumentsDelta: e.call.arguments },
          { type: 'tool-call-end', index, id: e.call.id, name: e.call.name, arguments: e.call.arguments },
        );
        break;
      }
      case 'usage':
        cur?.events.push({ type: 'usage', usage: e.usage });
        break;
      case 'finished':
        end();
        break;
      case 'tool-result':
      case 'approval-request':
      case 'retry':
      case 'context-trimmed':
      case 'workflow':
        break;
      default: {
        const never: never = e;
        void never;
      }
    }
  }
  end();
  return turns;
}

const fence = (s: string) => `\`\`\`\n${s.replace(/```/g, '`\u200b``')}\n\`\`\``;

export function markdownTranscript(s: SessionSummary, events: StoredEvent[]): string {
  const out = [
    `# ${s.prompt.split('\n')[0]!.slice(0, 120)}`,
    '',
    `- task \`${s.taskId}\` · ${s.provider}/${s.model} · mode ${s.mode ?? 'default'} · ${new Date(s.createdAt).toISOString()}`,
    `- status: ${s.status ?? 'unfinished'}${s.message ? ` — ${s.message}` : ''}`,
    `- tokens ${s.totalTokens}, cost $${s.costUsd.toFixed(4)}${s.patchSetId ? ` · patch set \`${s.patchSetId}\`` : ''}`,
    '',
    '## Prompt',
    '',
    s.prompt,
    '',
  ];
  for (const { event: e } of events) out.push(...markdownOf(e));
  return out.join('\n') + '\n';
}

function markdownOf(e: TaskEvent): string[] {
  switch (e.type) {
    case 'turn-start':
      return [`## Turn ${e.turn}`, ''];
    case 'text-delta':
      return [e.text, ''];
    case 'tool-call':
      return [`**tool call** \`${e.call.name}\``, '', fence(e.call.arguments), ''];
    case 'tool-result':
      return [`**result** ${e.result.ok ? 'ok' : 'failed'}`, '', fence(e.result.content), ''];
    case 'approval-request':
      return [`**asked** for \`${e.call.name}\`: ${e.reason}`, ''];
    case 'finished':
      return [`**finished**: ${e.status} — ${e.message}`, ''];
    case 'usage':
    case 'retry':
    case 'context-trimmed':
    case 'workflow':
      return [];
    default: {
      const never: never = e;
      return [String(never)];
    }
  }
}

/** A stored session as a follow-up's earlier turns: the prompt, then what the agent said (and which tools it used). */
export function historyOf(s: SessionSummary, events: StoredEvent[]): HistoryTurn[] {
  const said: string[] = [];
  for (const { event: e } of events) {
    if (e.type === 'text-delta') said.push(e.text);
    else if (e.type === 'tool-call') said.push(`\n[called ${e.call.name} ${e.call.arguments.slice(0, 200)}]\n`);
    else if (e.type === 'finished') said.push(`\n[${e.status}: ${e.message}]`);
  }
  const agent = said.join('').trim();
  return boundHistory([{ role: 'user', text: s.prompt }, ...(agent ? [{ role: 'assistant' as const, text: agent }] : [])]);
}
