// `airlock chat` line history across runs: a capped file in the user's state folder that never records a line that
// looks like it holds a key (a pasted API key must not outlive the terminal it was pasted into).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const HISTORY_MAX_LINES = 500;
const MAX_LINE_CHARS = 2000;

/** `$AIRLOCK_STATE_ROOT/chat_history`, else `$XDG_STATE_HOME/airlock/chat_history`, else ~/.local/state/airlock/. */
export function historyFile(env: NodeJS.ProcessEnv): string {
  const root = env.AIRLOCK_STATE_ROOT || path.join(env.XDG_STATE_HOME || path.join(env.HOME || os.homedir(), '.local', 'state'), 'airlock');
  return path.join(root, 'chat_history');
}

// Known key formats (the same vendors the kernel's sanitiser knows), a NAME=value whose name says secret, and any long
// unbroken token mixing letters and digits: a false positive only costs one history entry.
const KEY_SHAPES: RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY/,
  /\bsk-[A-Za-z0-9_-]{16,}/,
  /\bAIza[0-9A-Za-z_-]{30,}/,
  /\b(?:gh[pousr]_|github_pat_|glpat-|xox[abposr]-|hf_|npm_)[A-Za-z0-9_-]{16,}/,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/,
  /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./,
  /\b[A-Z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD)[A-Z0-9_]*\s*[=:]\s*\S{6,}/i,
  /(?:Authorization:\s*)?Bearer\s+[A-Za-z0-9._~+/=-]{16,}/i,
];

/** True when the line may contain a secret: a known key shape, a long random-looking token, or a secret env value. */
export function looksSecret(line: string, env: NodeJS.ProcessEnv = {}): boolean {
  if (KEY_SHAPES.some((re) => re.test(line))) return true;
  for (const tok of line.split(/[\s"'`,;()[\]{}<>]+/)) {
    if (tok.length >= 32 && /^[A-Za-z0-9_+=-]+$/.test(tok) && /[A-Za-z]/.test(tok) && /\d/.test(tok)) return true;
  }
  for (const [k, v] of Object.entries(env)) {
    if (v && v.length >= 8 && /(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)(?:_|$)/i.test(k) && line.includes(v)) return true;
  }
  return false;
}

/** Lines to keep, newest first as readline wants them: no secrets, no over-long lines, no repeats, capped. */
export function cleanHistory(lines: string[], env: NodeJS.ProcessEnv = {}): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (!l.trim() || l.length > MAX_LINE_CHARS || /[\x00-\x08\x0b-\x1f\x7f]/.test(l) || looksSecret(l, env) || out.includes(l)) continue;
    out.push(l);
    if (out.length >= HISTORY_MAX_LINES) break;
  }
  return out;
}

/** Reads the file (oldest line first on disk); a missing or unreadable file is an empty history. */
export function loadHistory(file: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    return cleanHistory(fs.readFileSync(file, 'utf8').split('\n').reverse(), env);
  } catch {
    return [];
  }
}

/** Writes the history (0600, folder 0700) atomically; failures are reported, never fatal for the chat. */
export function saveHistory(file: string, newestFirst: string[], env: NodeJS.ProcessEnv = {}): string | undefined {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(
      tmp,
      cleanHistory(newestFirst, env)
        .reverse()
        .map((l) => `${l}\n`)
        .join(''),
      { mode: 0o600 },
    );
    fs.renameSync(tmp, file);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
