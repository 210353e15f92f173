// Composer context: @file, #selection and #problems in a chat message become context blocks in the task's prompt.
// Files are read through the kernel's policy as the model would read them (fs/read forModel), so a secret is refused.
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import type { IKernelClient } from '../../../protocol/src/rpc-client';

/** Per attached file (a bigger one is cut and says so), and for all context of one message together. */
export const MAX_FILE_CHARS = 100_000;
export const MAX_CONTEXT_CHARS = 180_000;
const MAX_MENTIONS = 20;
/** task/start's prompt limit. */
const MAX_PROMPT_CHARS = 200_000;
const MAX_PROBLEMS = 200;

export type Mention = { kind: 'file'; path: string } | { kind: 'selection' } | { kind: 'problems' };

/** `@path` (at the start or after a space; trailing punctuation is not part of it), `#selection`, `#problems`. */
export function parseMentions(text: string): Mention[] {
  const out: Mention[] = [];
  const seen = new Set<string>();
  for (const m of text.matchAll(/(?<=^|\s)([@#])([^\s]+)/g)) {
    const word = m[2]!.replace(/[.,;:!?)\]}'"]+$/, '');
    const key = `${m[1]}${word}`;
    if (!word || seen.has(key)) continue;
    if (m[1] === '#') {
      if (word === 'selection' || word === 'problems') out.push({ kind: word });
      else continue;
    } else {
      // An e-mail address or a decorator is not a path: a mention names something that looks like a file path.
      if (!/^[\w./-][\w./@+~-]*$/.test(word) || word.includes('..')) continue;
      out.push({ kind: 'file', path: word.replace(/^\.\//, '') });
    }
    seen.add(key);
    if (out.length > MAX_MENTIONS)
      throw new AirlockError('CHAT_CONTEXT_TOO_MUCH', `more than ${MAX_MENTIONS} @/# mentions in one message`, 'attach fewer files');
  }
  return out;
}

/** What the editor offers: the active editor's selection and the diagnostics (both workspace-relative). */
export interface EditorContext {
  selection(): { path: string; startLine: number; endLine: number; text: string } | undefined;
  problems(): Array<{ path: string; line: number; severity: string; message: string }>;
}

export interface Attached {
  label: string;
  block: string;
}

/**
 * Reads what `text` mentions. Every file (and the file a selection or a problem comes from) is judged by the kernel's
 * policy as a read by the model; a refusal stops the message with the policy's reason (nothing is sent). A mention of
 * a file that does not exist stays plain text (it may be a name, not a path).
 */
export async function gatherContext(text: string, client: IKernelClient, editor: EditorContext): Promise<Attached[]> {
  const out: Attached[] = [];
  const allowed = new Map<string, Promise<boolean>>();
  const check = (p: string) => {
    let r = allowed.get(p);
    if (!r) {
      r = readForModel(client, p, 1).then(() => true);
      allowed.set(p, r);
    }
    return r;
  };
  for (const m of parseMentions(text)) {
    if (m.kind === 'file') {
      const r = await readForModel(client, m.path, MAX_FILE_CHARS).catch((err: unknown) => {
        if (err instanceof AirlockError && err.code === ErrorCodes.NotFound) return undefined;
        throw err;
      });
      if (!r) continue;
      if (r.encoding !== 'utf8') throw new AirlockError('CHAT_CONTEXT_BINARY', `@${m.path} is a binary file`, 'attach text files only');
      const cut = r.truncated ? `\n[… cut: the file has ${r.size} bytes; the first ${MAX_FILE_CHARS} are above]` : '';
      out.push({ label: `@${r.path}`, block: `<file path="${r.path}">\n${r.content}${cut}\n</file>` });
    } else if (m.kind === 'selection') {
      const sel = editor.selection();
      if (!sel || !sel.text)
        throw new AirlockError(
          'CHAT_CONTEXT_NO_SELECTION',
          '#selection: no text is selected in the active editor',
          'select some text in a workspace file first',
        );
      await check(sel.path);
      out.push({
        label: `#selection (${sel.path}:${sel.startLine}-${sel.endLine})`,
        block: `<selection path="${sel.path}" lines="${sel.startLine}-${sel.endLine}">\n${sel.text.slice(0, MAX_FILE_CHARS)}\n</selection>`,
      });
    } else {
      const lines: string[] = [];
      for (const p of editor.problems().slice(0, MAX_PROBLEMS)) {
        // A problem of a file the model may not read (a secret) is left out, not sent.
        if (await check(p.path).catch(() => false))
          lines.push(`${p.path}:${p.line}: ${p.severity}: ${p.message.replace(/\s+/g, ' ').slice(0, 500)}`);
      }
      out.push({ label: `#problems (${lines.length})`, block: `<problems>\n${lines.join('\n') || 'none'}\n</problems>` });
    }
  }
  const total = out.reduce((n, a) => n + a.block.length, 0);
  if (total > MAX_CONTEXT_CHARS)
    throw new AirlockError(
      'CHAT_CONTEXT_TOO_MUCH',
      `the attached context is ${total} characters; the limit is ${MAX_CONTEXT_CHARS}`,
      'attach fewer or smaller files',
    );
  return out;
}

function readForModel(client: IKernelClient, p: string, maxBytes: number) {
  return client.request('fs/read', { path: p, maxBytes, forModel: true }).catch((err: unknown) => {
    const e = AirlockError.from(err);
    if (e.code !== ErrorCodes.PolicyDenied) throw e;
    // The policy's reason, said about the mention the person wrote.
    throw new AirlockError(ErrorCodes.PolicyDenied, `${p} cannot be attached: ${e.message}`, e.hint);
  });
}

/** The task's prompt: the message, then what it attached (the transcript shows the message and the labels only). */
export function withContext(text: string, attached: readonly Attached[]): string {
  if (!attached.length) return text;
  const prompt = `${text}\n\nContext the person attached to this message:\n${attached.map((a) => a.block).join('\n')}`;
  if (prompt.length > MAX_PROMPT_CHARS)
    throw new AirlockError(
      'CHAT_CONTEXT_TOO_MUCH',
      `the message with its context is ${prompt.length} characters; the limit is ${MAX_PROMPT_CHARS}`,
      'attach fewer or smaller files',
    );
  return prompt;
}
