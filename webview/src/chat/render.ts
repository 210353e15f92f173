// Renders one chat transcript item into its row element (markdown, tool cards, approval prompts, patch-set links).
import type { ApprovalChoices, ChatItem } from '../../../protocol/src/webview';
import { escapeHtml, renderMarkdown } from '../shared/markdown';

const NOT_AVAILABLE = 'Not available in this kernel';

/**
 * A tool call's arguments for people: one labelled block per field, multi-line strings (file contents, scripts) shown
 * as their text rather than a JSON string full of \n escapes.
 */
export function renderArgs(text: string): string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return `<pre class="io">${escapeHtml(text)}</pre>`;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return `<pre class="io">${escapeHtml(JSON.stringify(v, null, 2))}</pre>`;
  return Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => {
      const body =
        typeof x === 'string' ? x : Array.isArray(x) && x.every((a) => typeof a === 'string') ? x.join(' ') : JSON.stringify(x, null, 2);
      const block = typeof x === 'string' && x.includes('\n');
      return block
        ? `<div class="arg"><span class="arg-name">${escapeHtml(k)}</span><pre class="io">${escapeHtml(body)}</pre></div>`
        : `<div class="arg"><span class="arg-name">${escapeHtml(k)}</span> <code>${escapeHtml(body)}</code></div>`;
    })
    .join('');
}

type Approval = Extract<ChatItem, { type: 'approval' }>;

/** A unified diff with its lines coloured (the text stays plain for copying and screen readers). */
function renderDiff(unified: string): string {
  const cls = (l: string) => (l.startsWith('@@') ? 'hunk' : l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : 'ctx');
  return unified
    .split('\n')
    .map((l) => `<span class="${cls(l)}">${escapeHtml(l)}</span>`)
    .join('\n');
}

/** What the call does, shown before the arguments: the diff of an edit, the parsed command of an exec. */
function renderPreview(item: Approval): string {
  const p = item.preview;
  const args = (summary: string) => `<details class="args"><summary>${summary}</summary>${renderArgs(item.arguments)}</details>`;
  if (!p) return `<div class="args">${renderArgs(item.arguments)}</div>`;
  switch (p.kind) {
    case 'diff':
      return `<div class="preview diff-preview"><div class="preview-head"><span class="label">${p.newFile ? 'New file' : 'Change to'}</span>
<code>${escapeHtml(p.path)}</code> <span class="counts"><span class="add">+${p.added}</span> <span class="del">−${p.removed}</span></span>
<vscode-button data-action="open-diff" data-id="${escapeHtml(item.id)}" secondary aria-label="Open the diff of ${escapeHtml(p.path)} in the diff editor">Open diff</vscode-button></div>
${p.caveat ? `<div class="caveat">${escapeHtml(p.caveat)}</div>` : ''}<pre class="io diff" aria-label="Diff of ${escapeHtml(p.path)}">${renderDiff(p.unified)}</pre>
${p.truncated ? '<div class="caveat">The diff is longer than shown here: Open diff shows all of it.</div>' : ''}</div>${args('All arguments')}`;
    case 'command':
      return `<div class="preview command-preview"><div class="label">Command${p.cwd ? ` (in <code>${escapeHtml(p.cwd)}</code>)` : ''}</div>
<pre class="io cmd" aria-label="Command">$ ${escapeHtml(p.line)}</pre>
<div class="argv">${p.argv.length} argument${p.argv.length === 1 ? '' : 's'}: ${p.argv.map((a) => `<code>${escapeHtml(a)}</code>`).join(' ')}</div></div>${args('All arguments')}`;
    default: {
      const never: never = p;
      return never;
    }
  }
}

const TOOL_STATUS: Record<Extract<ChatItem, { type: 'tool' }>['status'], string> = {
  running: 'running',
  'awaiting-approval': 'waiting for your approval',
  done: 'done',
  error: 'failed',
  denied: 'denied',
};

/** The patch-set card's title as review moves the set (the card is announced when it changes). */
const SET_TITLE: Record<NonNullable<Extract<ChatItem, { type: 'patchset' }>['state']>, string> = {
  ready: 'Patch set to review',
  merged: 'Patch set merged',
  'partly-merged': 'Patch set partly merged',
  rejected: 'Patch set rejected',
  superseded: 'Superseded by a newer patch set',
};

export function renderItem(item: ChatItem, el: HTMLElement, approvals: ApprovalChoices): void {
  el.dataset.type = item.type;
  switch (item.type) {
    case 'user':
      // Rewind doubles as edit-and-resend: the message goes back to the composer (hidden while a task runs: chat.css).
      el.innerHTML = `<div class="msg user"><div class="who">You<vscode-button class="rewind" data-action="rewind" data-id="${escapeHtml(item.id)}" secondary
 title="Drop this message and everything after it (their patch sets leave review), and put it back in the composer to edit and send"
 aria-label="Rewind to here: drop this message and what followed, edit and resend it">Rewind to here</vscode-button></div><div class="md">${renderMarkdown(item.text)}</div>${
   item.context?.length
     ? `<div class="context" aria-label="Attached context">${item.context.map((c) => `<span class="chip">${escapeHtml(c)}</span>`).join(' ')}</div>`
     : ''
 }</div>`;
      return;
    case 'assistant':
      el.innerHTML = `<div class="msg assistant${item.streaming ? ' streaming' : ''}" aria-busy="${item.streaming}"><div class="who">Airlock</div><div class="md">${renderMarkdown(item.text, item.streaming)}</div></div>`;
      if (!item.streaming) addCodeActions(el);
      return;
    case 'tool': {
      const v = item.verdict;
      const policy = v
        ? `<div class="section"><div class="label">Policy</div><div class="verdict ${v.decision}">${escapeHtml(v.decision)}${v.rule ? ` · rule <code>${escapeHtml(v.rule)}</code>` : ''}${v.reason ? ` — ${escapeHtml(v.reason)}` : ''}</div></div>`
        : '';
      const r = item.result;
      const output = r
        ? `<div class="section"><div class="label">Output${r.truncated ? ' (truncated)' : ''}${r.durationMs !== undefined ? ` · ${Math.round(r.durationMs)} ms` : ''}</div><pre class="io">${escapeHtml(r.content)}</pre>${r.error ? `<div class="error">${escapeHtml(r.error.code)}: ${escapeHtml(r.error.message)}</div>` : ''}</div>`
        : '';
      el.innerHTML = `<vscode-collapsible class="card tool ${item.status}" title="${escapeHtml(`Tool ${item.name}`)}" description="${escapeHtml(TOOL_STATUS[item.status])}">
<div class="card-body"><div class="section"><div class="label">Input</div>${renderArgs(item.arguments)}</div>${policy}${output}</div></vscode-collapsible>`;
      return;
    }
    case 'approval': {
      const pending = item.state === 'pending';
      const answered = {
        pending: '',
        allowed: 'Allowed once',
        'allowed-session': 'Allowed for this session',
        denied: 'Denied',
        expired: 'Expired (the task ended)',
      }[item.state];
      const btn = (answer: string, label: string, ok: boolean, secondary = false) =>
        `<vscode-button data-action="approve" data-answer="${answer}" data-id="${escapeHtml(item.id)}"${secondary ? ' secondary' : ''}${ok ? '' : ` disabled title="${NOT_AVAILABLE}"`}>${label}</vscode-button>`;
      el.innerHTML = `<section class="card approval ${item.state}" role="group" aria-label="${pending ? 'Approval needed' : 'Approval'} for ${escapeHtml(item.toolName)}">
<div class="approval-title">${pending ? 'Approval needed' : 'Approval'}: <code>${escapeHtml(item.toolName)}</code></div>
<div class="reason"><span class="label">Why Airlock asks:</span> ${escapeHtml(item.reason)}</div>
${renderPreview(item)}
${
  pending
    ? `<vscode-textfield class="note" data-note-for="${escapeHtml(item.id)}" placeholder="Reason (optional): the agent gets it, the audit log keeps it" aria-label="Reason for your decision, sent to the agent and recorded in the audit log"></vscode-textfield>
<div class="actions">${btn('allow-once', 'Allow once', approvals.allowOnce)}${btn('allow-session', 'Allow for this session', approvals.allowSession, true)}${btn('deny', 'Deny', approvals.deny, true)}</div>`
    : `<div class="answered" role="status">${answered}${item.note ? ` — ${escapeHtml(item.note)}` : ''}</div>`
}
</section>`;
      return;
    }
    case 'notice':
      el.innerHTML = `<div class="notice ${item.level}" role="${item.level === 'error' ? 'alert' : 'status'}">${escapeHtml(item.text)}</div>`;
      return;
    case 'patchset': {
      const blocked = item.blocked ? ` · ${item.blocked} blocked` : '';
      const auto = item.autoMerge ? ' · auto-merged' : '';
      const state = item.state ?? 'ready';
      el.innerHTML = `<section class="card patchset ${state}" aria-label="Patch set ${escapeHtml(item.setId)}">
<div class="patchset-head"><span class="patchset-title" role="status">${SET_TITLE[state]}</span><span class="patchset-actions">
<vscode-button data-action="open-patchset" data-set="${escapeHtml(item.setId)}" aria-label="Review patch set ${escapeHtml(item.setId)}">Review</vscode-button>${
        state === 'ready' || state === 'partly-merged'
          ? `<vscode-button data-action="merge-patchset" data-set="${escapeHtml(item.setId)}" secondary aria-label="Merge the accepted changes of patch set ${escapeHtml(item.setId)}">Merge accepted</vscode-button>`
          : ''
      }</span></div>
<div class="patchset-stats">${item.files} file${item.files === 1 ? '' : 's'} <span class="add">+${item.added}</span> <span class="del">−${item.removed}</span>${blocked}${auto}</div>
<div class="patchset-id"><code>${escapeHtml(item.setId)}</code></div></section>`;
      return;
    }
    default: {
      const never: never = item;
      return never;
    }
  }
}

/** Copy and Insert on each finished answer's code block (the host does both: clipboard, active editor). */
function addCodeActions(el: HTMLElement): void {
  for (const pre of el.querySelectorAll<HTMLElement>('pre.md-code')) {
    const bar = document.createElement('div');
    bar.className = 'code-actions';
    const lang = pre.dataset.lang ?? 'code';
    bar.innerHTML =
      `<vscode-button secondary data-action="copy-code" aria-label="Copy the ${escapeHtml(lang)} code">Copy</vscode-button>` +
      `<vscode-button secondary data-action="insert-code" aria-label="Insert the ${escapeHtml(lang)} code at the cursor of the active editor">Insert</vscode-button>`;
    pre.before(bar);
  }
}

export function formatUsage(u: { totalTokens: number; costUsd: number; maxTokens?: number; maxCostUsd?: number }): {
  text: string;
  ratio: number | null;
} {
  const tokens = u.totalTokens.toLocaleString('en-US');
  const cost = `$${u.costUsd.toFixed(u.costUsd < 1 ? 4 : 2)}`;
  const parts = [
    u.maxTokens ? `${tokens} / ${u.maxTokens.toLocaleString('en-US')} tokens` : `${tokens} tokens`,
    u.maxCostUsd ? `${cost} / $${u.maxCostUsd.toFixed(2)}` : cost,
  ];
  const ratios = [u.maxTokens ? u.totalTokens / u.maxTokens : null, u.maxCostUsd ? u.costUsd / u.maxCostUsd : null].filter(
    (r): r is number => r !== null,
  );
  return { text: parts.join(' · '), ratio: ratios.length ? Math.min(1, Math.max(...ratios)) : null };
}
