// What an approval is about, for people: an edit as a diff against the workspace file, a command as its parsed argv.
import { structuredPatch } from 'diff';
import type { ApprovalPreview } from '../../../protocol/src/webview';

/** Inline diffs stop here (the full one opens in the diff editor); files bigger than this are not diffed at all. */
const MAX_UNIFIED = 60_000;
const MAX_FILE = 2 * 1024 * 1024;

/** The workspace file as it is now (undefined: it does not exist). */
export type ReadWorkspaceFile = (relPath: string) => Promise<string | undefined>;

/** Before and after of an edit approval: what "Open diff" shows. */
export interface EditPair {
  path: string;
  before: string;
  after: string;
  newFile: boolean;
  caveat?: string;
}

const CAVEAT_EDIT =
  'The text this edit replaces is not in the workspace file (an earlier edit of this task changed it); shown as' +
  ' the replaced text against its replacement.';

function parseArgs(args: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(args) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** fs.write / fs.edit → the file before and after the call, as far as the workspace tells (the task's own edits aside). */
export async function editPair(tool: string, args: string, read: ReadWorkspaceFile): Promise<EditPair | undefined> {
  const a = parseArgs(args);
  const path = typeof a?.path === 'string' ? a.path : undefined;
  if (!a || !path || (tool !== 'fs.write' && tool !== 'fs.edit')) return undefined;
  const current = await read(path).catch(() => undefined);
  if (current !== undefined && current.length > MAX_FILE) return undefined;
  if (tool === 'fs.write') {
    if (typeof a.content !== 'string') return undefined;
    return { path, before: current ?? '', after: a.content, newFile: current === undefined };
  }
  const { oldText, newText, all } = a;
  if (typeof oldText !== 'string' || typeof newText !== 'string' || !oldText) return undefined;
  if (current === undefined || !current.includes(oldText)) {
    return { path, before: oldText, after: newText, newFile: false, caveat: CAVEAT_EDIT };
  }
  // A function replacement keeps `$&` and friends in newText literal.
  const after = all === true ? current.split(oldText).join(newText) : current.replace(oldText, () => newText);
  return { path, before: current, after, newFile: false };
}

/** The unified diff of a pair, counted and capped for the chat card. */
export function diffPreview(p: EditPair): Extract<ApprovalPreview, { kind: 'diff' }> {
  const patch = structuredPatch(`a/${p.path}`, `b/${p.path}`, p.before, p.after, '', '', { context: 3 });
  let added = 0;
  let removed = 0;
  const lines: string[] = [];
  for (const h of patch.hunks) {
    lines.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`);
    for (const l of h.lines) {
      if (l.startsWith('\\')) continue; // "\ No newline at end of file": noise on a card
      if (l.startsWith('+')) added++;
      else if (l.startsWith('-')) removed++;
      lines.push(l);
    }
  }
  const full = lines.join('\n');
  const truncated = full.length > MAX_UNIFIED;
  const unified = truncated ? `${full.slice(0, full.lastIndexOf('\n', MAX_UNIFIED))}\n…` : full;
  return { kind: 'diff', path: p.path, unified, added, removed, newFile: p.newFile, truncated, ...(p.caveat ? { caveat: p.caveat } : {}) };
}

/** A POSIX shell rendering of argv: what a person would type (the kernel runs argv as is, never through a shell). */
export function shellLine(argv: readonly string[]): string {
  return argv.map((x) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(x) ? x : `'${x.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The preview of an approval request's call, or undefined for tools without one. */
export async function approvalPreview(tool: string, args: string, read: ReadWorkspaceFile): Promise<ApprovalPreview | undefined> {
  if (tool === 'exec') {
    const a = parseArgs(args);
    const argv = Array.isArray(a?.argv) && a.argv.every((x) => typeof x === 'string') ? (a.argv as string[]).slice(0, 1000) : undefined;
    if (!argv?.length) return undefined;
    const cwd = typeof a?.cwd === 'string' ? a.cwd : undefined;
    return { kind: 'command', argv, line: shellLine(argv).slice(0, 20_000), ...(cwd ? { cwd } : {}) };
  }
  const pair = await editPair(tool, args, read);
  return pair && diffPreview(pair);
}
