// Sandbox masks: every workspace path the policy hides, found by walking the workspace when a sandbox is created, so
// an empty file or folder is mounted over each and commands (`cat`, `grep -r`, `tar`) see what fs.read sees.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import type { HiddenCheck } from './hidden';

export interface WorkspaceMasks {
  /** Workspace-relative files to cover with an empty read-only file. */
  files: string[];
  /** Workspace-relative folders to cover with an empty read-only folder (names created in them later stay hidden). */
  dirs: string[];
}

export interface MaskLimits {
  /** Entries walked at most; a bigger tree cannot be judged, so no sandbox is created (fail closed). */
  maxEntries?: number;
  /** Masks at most (each is a mount). */
  maxMasks?: number;
}

const DEFAULT_MAX_ENTRIES = 1_000_000;
const DEFAULT_MAX_MASKS = 2000;
const YIELD_EVERY = 2000;

/**
 * Walks the whole workspace (ignored files included: a git-ignored `.env` is the usual secret; symlinks are never
 * followed and never masked: a link's target is judged under its own name, and one pointing out of the workspace
 * leads nowhere in a sandbox). A hidden folder is masked whole and not entered.
 */
export async function workspaceMasks(workspace: string, hidden: HiddenCheck, limits: MaskLimits = {}): Promise<WorkspaceMasks> {
  const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const maxMasks = limits.maxMasks ?? DEFAULT_MAX_MASKS;
  const out: WorkspaceMasks = { files: [], dirs: [] };
  const stack = [''];
  let n = 0;
  let yielded = 0;
  while (stack.length) {
    const rel = stack.pop()!;
    let ents: fs.Dirent[];
    try {
      ents = await fs.promises.readdir(rel ? path.join(workspace, rel) : workspace, { withFileTypes: true });
    } catch (e) {
      // A folder that vanished while we walked hides nothing; one we may not read cannot be judged.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
      throw new AirlockError(
        'SANDBOX_MASKS_FAILED',
        `cannot list ${rel || '.'} to find what the policy hides: ${(e as Error).message}`,
        'the sandbox was not created',
      );
    }
    for (const e of ents) {
      // Listing runs off the event loop (async readdir) and judging yields every few thousand entries: a large tree
      // (node_modules) never stalls the kernel while a sandbox is being made.
      if (n - yielded >= YIELD_EVERY) {
        yielded = n;
        await new Promise((r) => setImmediate(r));
      }
      if (++n > maxEntries)
        throw new AirlockError(
          'SANDBOX_MASKS_FAILED',
          `the workspace has more than ${maxEntries} entries: what the policy hides cannot be found`,
          'the sandbox was not created; exclude generated trees from the workspace',
        );
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (hidden(child, true)) out.dirs.push(child);
        else stack.push(child);
      } else if (e.isFile() && hidden(child, false)) out.files.push(child);
      if (out.files.length + out.dirs.length > maxMasks) {
        throw new AirlockError(
          'SANDBOX_MASKS_FAILED',
          `the policy hides more than ${maxMasks} workspace paths: too many to mask`,
          'the sandbox was not created; deny a folder rather than many files in it',
        );
      }
    }
  }
  out.files.sort();
  out.dirs.sort();
  return out;
}

const KEY_VALUE = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*[=:]\s*(.*?)\s*$/;
const MAX_SECRET_FILE = 64 * 1024;
const MAX_VALUES = 2000;

/**
 * The values in hidden files, for the sanitiser (second line behind the masks): each KEY=VALUE line's value (quotes
 * removed), and for files without such lines (keys, tokens) each line long enough to be one. Files over 64 KiB and
 * binary files are skipped: a value is redacted only where it is known.
 */
export function hiddenValues(workspace: string, masks: WorkspaceMasks): string[] {
  const values = new Set<string>();
  for (const rel of masks.files) {
    if (values.size >= MAX_VALUES) break;
    let text: string;
    try {
      const fd = fs.openSync(path.join(workspace, rel), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      try {
        const st = fs.fstatSync(fd);
        if (!st.isFile() || st.size > MAX_SECRET_FILE) continue;
        text = fs.readFileSync(fd, 'utf8');
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      continue;
    }
    if (text.includes('\0')) continue;
    for (const line of text.split(/\r?\n/)) {
      if (!line.trim() || /^\s*(#|\/\/|;|-----)/.test(line)) continue;
      const m = KEY_VALUE.exec(line);
      const v = (m ? m[1].replace(/^(["'`])(.*)\1$/, '$2') : line).trim();
      if (v.length >= 6) values.add(v); // the sanitiser ignores shorter values (they would redact noise)
    }
  }
  return [...values].slice(0, MAX_VALUES);
}
