// What wrote a merged hunk, looked up when the merge is recorded: the review decision, the task (provider, model), its
// sandbox, the agent's tool calls that wrote the file and the model turns they came from (the task's transcript).
import type { AuditEntry, AuditPage, AuditQuery } from '../../../protocol/src/audit';
import type { StoredEvent } from '../../../protocol/src/methods/sessions';
import type { ReviewItem } from '../../../protocol/src/patches';
import type { HunkLinks, MergedHunk } from '../../../protocol/src/provenance';
import type { StoredSet } from './store';

export interface LinkSources {
  query(q: AuditQuery): AuditPage | Promise<AuditPage>;
  /** The task's stored transcript (SessionStore.events); empty when it is not kept. */
  events(taskId: string): StoredEvent[];
}

const WRITE_TOOLS = new Set(['fs.write', 'fs.edit']);
const MAX_CALLS = 50;
const ref = (e: AuditEntry) => ({ seq: e.seq, hash: e.hash });
const all = async (src: LinkSources, q: AuditQuery) => (await src.query({ order: 'asc', limit: 5000, payloads: true, ...q })).entries;

export async function hunkLinks(src: LinkSources, s: StoredSet, hunks: MergedHunk[]): Promise<Map<string, HunkLinks>> {
  const out = new Map<string, HunkLinks>();
  const decisions = await all(src, { action: 'review.', resource: s.set.id });
  const taskId = s.set.taskId;
  const task = taskId ? await taskFacts(src, taskId) : undefined;
  const turnOf = taskId ? turnsByCall(src.events(taskId)) : new Map<string, number>();
  const lines = new Map(s.set.files.flatMap((f) => ('hunks' in f ? f.hunks.map((h) => [h.id, h.lines] as const) : [])));
  for (const h of hunks) {
    const calls = task ? writesOf(task.writes, h.path, firstAdded(lines.get(h.hunkId) ?? [])) : [];
    const toolCalls = calls.slice(-MAX_CALLS).map((e) => {
      const p = e.payload as { callId: string; tool: string };
      const turn = turnOf.get(p.callId);
      return { callId: p.callId, tool: p.tool, audit: ref(e), ...(turn !== undefined ? { turn } : {}) };
    });
    const decision = decisionFor(decisions, h);
    out.set(h.hunkId, {
      ...(decision ? { decision } : {}),
      ...(task ? { task: task.task, ...(task.sandbox ? { sandbox: task.sandbox } : {}) } : {}),
      toolCalls,
      turns: [...new Set(toolCalls.flatMap((c) => (c.turn !== undefined ? [c.turn] : [])))].sort((a, b) => a - b),
    });
  }
  return out;
}

/** The last recorded decision that accepted this hunk (a hunk-level item, a file-level one, or an allowed auto-merge). */
function decisionFor(entries: AuditEntry[], h: MergedHunk): HunkLinks['decision'] {
  let found: HunkLinks['decision'];
  for (const e of entries) {
    if (e.action === 'review.automerge' && (e.payload as { allowed?: boolean } | null)?.allowed) {
      found = { decision: 'accept (auto-merge)', subject: e.subject, at: e.time, audit: ref(e) };
    } else if (e.action === 'review.decide') {
      const items = ((e.payload as { items?: ReviewItem[] } | null)?.items ?? []).filter(
        (i) => i.path === h.path && (!i.hunkId || i.hunkId === h.hunkId),
      );
      const last = items.at(-1);
      if (last) found = { decision: last.decision, subject: e.subject, at: e.time, audit: ref(e) };
    }
  }
  return found?.decision.startsWith('accept') ? found : undefined;
}

async function taskFacts(src: LinkSources, taskId: string) {
  const entries = await all(src, { session: taskId });
  const start = entries.find((e) => e.action === 'task.start');
  const p = (start?.payload ?? {}) as { provider?: string; model?: string; mode?: string };
  const sbEntry = entries.find((e) => e.action === 'task.sandbox');
  const sandboxId = (sbEntry?.payload as { sandboxId?: string } | null)?.sandboxId;
  let template: string | undefined;
  if (sandboxId) {
    const life = await all(src, { resource: sandboxId, action: 'sandbox.creating', limit: 1 });
    template = (life[0]?.payload as { template?: string } | null)?.template;
  }
  return {
    task: {
      taskId,
      ...(p.provider ? { provider: p.provider } : {}),
      ...(p.model ? { model: p.model } : {}),
      ...(p.mode ? { mode: p.mode } : {}),
    },
    sandbox: sandboxId && sbEntry ? { sandboxId, ...(template ? { template } : {}), audit: ref(sbEntry) } : undefined,
    writes: entries.filter(
      (e) =>
        e.action === 'tool.decision' &&
        WRITE_TOOLS.has((e.payload as { tool?: string } | null)?.tool ?? '') &&
        (e.payload as { decision?: string }).decision === 'allow',
    ),
  };
}

/** The allowed writes of `path`; those whose text holds the hunk's first added line when any does (else all of them). */
function writesOf(writes: AuditEntry[], path: string, added: string | undefined): AuditEntry[] {
  const ofPath = writes.filter((e) => (e.payload as { input?: { path?: string } }).input?.path === path);
  if (!added) return ofPath;
  const holding = ofPath.filter((e) =>
    JSON.stringify((e.payload as { input?: unknown }).input ?? '').includes(JSON.stringify(added).slice(1, -1)),
  );
  return holding.length ? holding : ofPath;
}

function firstAdded(lines: readonly string[]): string | undefined {
  return lines
    .find((l) => l.startsWith('+') && l.slice(1).trim())
    ?.slice(1)
    .trim();
}

/** callId -> the model turn it was made in (the last `turn-start` before its `tool-call` event). */
export function turnsByCall(events: StoredEvent[]): Map<string, number> {
  const out = new Map<string, number>();
  let turn: number | undefined;
  for (const { event } of events) {
    if (event.type === 'turn-start') turn = event.turn;
    else if (event.type === 'tool-call' && turn !== undefined && !out.has(event.call.id)) out.set(event.call.id, turn);
  }
  return out;
}
