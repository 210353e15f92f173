// Pure formatting for `airlock run` / `airlock chat`: task events as terminal lines, the patch set summary, approvals.
import type { TaskEvent, ToolCall } from '../../../protocol/src/agent';
import type { PatchSet } from '../../../protocol/src/patches';
import { showPath } from '../review/actions';

const LETTER: Record<PatchSet['files'][number]['type'], string> = {
  modify: 'M',
  add: 'A',
  delete: 'D',
  rename: 'R',
  mode: 'X',
  binary: 'B',
};

/** A tool call in one short line: `exec node --test`, `fs.edit src/a.ts`, `search.grep "median\("`. */
export function describeCall(call: ToolCall): string {
  let a: Record<string, unknown> = {};
  try {
    a = JSON.parse(call.arguments || '{}') as Record<string, unknown>;
  } catch {
    return `${call.name} ${call.arguments.slice(0, 80)}`;
  }
  const s = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  switch (call.name) {
    case 'exec':
      return `exec ${Array.isArray(a.argv) ? a.argv.map((x) => (/^[\w@%+=:,./-]+$/.test(String(x)) ? String(x) : JSON.stringify(x))).join(' ') : ''}`;
    case 'search.grep':
      return `search.grep ${JSON.stringify(a.pattern)}${a.path ? ` in ${s(a.path)}` : ''}`;
    case 'search.glob':
      return `search.glob ${Array.isArray(a.patterns) ? a.patterns.join(' ') : ''}`;
    case 'fs.read':
      return `fs.read ${s(a.path)}${a.startLine ? `:${s(a.startLine)}-${s(a.endLine ?? '')}` : ''}`;
    default:
      return a.path !== undefined ? `${call.name} ${s(a.path)}` : call.name;
  }
}

/** First line of a tool result plus how long it is, for the terminal (the model saw all of it). */
export function describeResult(content: string, ok: boolean): string {
  const lines = content.split('\n');
  const first = lines[0].length > 100 ? `${lines[0].slice(0, 100)}…` : lines[0];
  return `${ok ? '✓' : '✗'} ${first}${lines.length > 1 ? ` (+${lines.length - 1} lines)` : ''}`;
}

/**
 * What to print for one task event: `text` is streamed as is (no newline), `line` is a whole line. The policy decision
 * of each call is shown with its result: `✗ error POLICY_DENIED ...` for a denial, `✓ ...` when it ran.
 */
export type Output = { type: 'text'; text: string } | { type: 'line'; text: string } | { type: 'none' };

export function formatEvent(e: TaskEvent, state: { midText: boolean }): Output[] {
  const line = (text: string): Output[] => {
    const out: Output[] = state.midText ? [{ type: 'text', text: '\n' }] : [];
    state.midText = false;
    return [...out, { type: 'line', text }];
  };
  switch (e.type) {
    case 'text-delta':
      if (!e.text) return [{ type: 'none' }];
      state.midText = !e.text.endsWith('\n');
      return [{ type: 'text', text: e.text }];
    case 'turn-start':
      return e.turn === 1 ? [{ type: 'none' }] : line('');
    case 'tool-call':
      return line(`→ ${describeCall(e.call)}`);
    case 'tool-result':
      return line(`  ${describeResult(e.result.content, e.result.ok)}`);
    case 'approval-request':
      return line(`? approval needed: ${describeCall(e.call)} — ${e.reason}`);
    case 'usage':
      return [{ type: 'none' }];
    case 'retry':
      return line(
        `… provider retry ${e.attempt} in ${Math.round(e.delayMs)} ms (${e.reason})${e.discardPartial ? '; the partial answer is discarded' : ''}`,
      );
    case 'context-trimmed':
      return line(`… older context summarised (${e.droppedMessages} messages)`);
    // A completed task's message is the model's last text, already streamed: only the status is added.
    case 'workflow':
      return line(
        `◆ ${e.mode} ${e.change}: ${e.from ? `${e.from} → ` : ''}${e.to ?? e.state}${e.guard ? ` (guard ${e.guard})` : ''}${e.reason ? `: ${e.reason}` : ''}`,
      );
    case 'finished':
      return line(e.status === 'completed' ? '\n[completed]' : `\n[${e.status}] ${e.message}`);
    default: {
      const never: never = e;
      return never;
    }
  }
}

/** Usage line at the end: tokens and cost as the kernel counted them. */
export function formatUsage(totalTokens: number, costUsd: number): string {
  return `tokens: ${totalTokens.toLocaleString('en-US')}${costUsd > 0 ? `, cost: $${costUsd.toFixed(4)}` : ''}`;
}

function fileCounts(f: PatchSet['files'][number]): string {
  if (f.type === 'modify') return `+${f.added} -${f.removed}`;
  if (f.type === 'add') return `+${f.added}`;
  if (f.type === 'delete') return `-${f.removed}`;
  if (f.type === 'rename') return `from ${showPath(f.from)}`;
  if (f.type === 'mode') return `${f.oldMode.toString(8)} -> ${f.newMode.toString(8)}`;
  return 'full file';
}

/** The patch set summary and the exact commands to review and merge it. */
export function formatPatchSummary(set: PatchSet, workspaceArg: string): string[] {
  const ws = workspaceArg
    ? ` --workspace ${/^[\w@%+=:,./-]+$/.test(workspaceArg) ? workspaceArg : `'${workspaceArg.replace(/'/g, `'\\''`)}'`}`
    : '';
  const tests =
    set.testsPassed === null ? 'tests not run' : set.testsPassed ? 'tests passed in the sandbox' : 'tests FAILED in the sandbox';
  const out = [`Patch set ${set.id}: ${set.stats.files} file(s), +${set.stats.added} -${set.stats.removed}, ${tests}`];
  const width = Math.max(0, ...set.files.map((f) => showPath(f.path).length));
  for (const f of set.files) out.push(`  ${LETTER[f.type]} ${showPath(f.path).padEnd(width)}  ${fileCounts(f)}`);
  for (const b of set.blocked) out.push(`  blocked ${showPath(b.path)}: ${b.reason}`);
  out.push('The workspace is unchanged. To review and merge:');
  out.push(`  airlock review show ${set.id} --diff${ws}`);
  out.push(`  airlock review accept ${set.id}${ws}`);
  out.push(`  airlock review merge ${set.id}${ws}`);
  return out;
}

/** Parses an interactive approval answer; anything unclear is a deny. */
export function parseApproval(answer: string): 'allow' | 'allow-session' | 'deny' {
  const a = answer.trim().toLowerCase();
  if (a === 'y' || a === 'yes' || a === 'o' || a === 'once') return 'allow';
  if (a === 'a' || a === 'always' || a === 's' || a === 'session') return 'allow-session';
  return 'deny';
}

export interface ApprovalAnswer {
  decision: 'allow' | 'allow-session' | 'deny';
  /** The person's reason for a deny (audited). */
  note?: string;
}

/**
 * Parses an inline approval answer: `y`/`once`, `s`/`a`/`session`, or `n`/`deny` optionally followed by a reason
 * (`n not on main`, `deny: use the fixture`). Anything unclear is a deny without a reason (fail closed).
 */
export function parseApprovalAnswer(answer: string): ApprovalAnswer {
  const m = /^\s*(no|n|deny|d)\b[\s:,-]*(.*)$/is.exec(answer);
  if (m) return { decision: 'deny', ...(m[2]!.trim() ? { note: m[2]!.trim().slice(0, 2000) } : {}) };
  return { decision: parseApproval(answer) };
}
