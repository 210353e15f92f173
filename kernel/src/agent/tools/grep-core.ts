// search.grep's engine: walk + fast scan (literal pre-filter on raw bytes, one regex pass per file, lines found lazily).
import * as fs from 'node:fs';
import picomatch from 'picomatch';
import { readFd } from '../../workspace/safe-open';
import { TreeReader, type TreeRoot } from './view';
import { walk } from './walk';

export interface GrepQuery {
  pattern: string;
  /** Treat the pattern as a literal string. */
  fixed?: boolean;
  ignoreCase?: boolean;
  /** Globs on workspace-relative paths; a leading `!` excludes. */
  globs?: string[];
  /** Directory (workspace-relative) to search under. */
  path?: string;
  maxResults?: number;
  /** Files larger than this are skipped (like generated bundles). */
  maxFileBytes?: number;
  gitignore?: boolean;
}

export interface GrepMatch {
  path: string;
  line: number;
  text: string;
}
export interface GrepResult {
  matches: GrepMatch[];
  filesSearched: number;
  truncated: boolean;
}

const MAX_LINE_CHARS = 300;
const BINARY_SNIFF = 8192;

export function compile(q: GrepQuery): { re: RegExp; literal?: Buffer } {
  const src = q.fixed ? q.pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : q.pattern;
  const re = new RegExp(src, q.ignoreCase ? 'gimu' : 'gmu');
  // Files that lack a literal every match must contain are skipped on raw bytes, without decoding (ripgrep does this too).
  const lit = q.ignoreCase ? undefined : q.fixed ? q.pattern : requiredLiteral(q.pattern);
  return { re, literal: lit ? Buffer.from(lit, 'utf8') : undefined };
}

/**
 * The longest run of plain characters that every match of `pattern` must contain, or undefined. Conservative: any
 * alternation, group or class ends a run, and a quantified character is not part of it.
 */
export function requiredLiteral(pattern: string): string | undefined {
  if (pattern.includes('|')) return undefined;
  let best = '',
    run = '',
    depth = 0;
  const end = () => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    let lit: string | undefined;
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n !== undefined && /[.*+?^${}()|[\]\\/-]/.test(n)) {
        lit = n;
        i++;
      } else {
        i++;
        end();
        continue;
      }
    } else if (/[.^$()[\]{}]/.test(c)) {
      // Skip over a class or counted repetition as a whole: its contents are not literal.
      if (c === '[') {
        while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
      }
      if (c === '{') {
        run = run.slice(0, -1);
        while (i < pattern.length && pattern[i] !== '}') i++;
      }
      if (c === '(') depth++;
      if (c === ')') depth = Math.max(0, depth - 1);
      end();
      continue;
    } else if (c === '*' || c === '?') {
      run = run.slice(0, -1);
      end();
      continue;
    } else if (c === '+') {
      end();
      continue;
    } else lit = c;
    if (depth === 0) run += lit;
    else end(); // group contents may be optional or repeated: not required
  }
  end();
  return best.length >= 3 ? best : undefined;
}

export function globFilter(globs: string[] | undefined): ((rel: string) => boolean) | undefined {
  if (!globs?.length) return undefined;
  const inc = globs.filter((g) => !g.startsWith('!'));
  const exc = globs.filter((g) => g.startsWith('!')).map((g) => g.slice(1));
  // Like ripgrep: a glob without a slash matches the basename at any depth.
  const m = (gs: string[]) =>
    gs.length
      ? picomatch(
          gs.map((g) => (g.includes('/') ? g : `**/${g}`)),
          { dot: true },
        )
      : undefined;
  const incM = m(inc),
    excM = m(exc);
  return (rel) => (!incM || incM(rel)) && !(excM && excM(rel));
}

/** Searches one file's bytes; pushes matches until `limit` results exist in `out`. */
export function scanBuffer(buf: Buffer, rel: string, re: RegExp, literal: Buffer | undefined, out: GrepMatch[], limit: number): void {
  if (literal && buf.indexOf(literal) === -1) return;
  if (buf.subarray(0, BINARY_SNIFF).indexOf(0) !== -1) return;
  const text = buf.toString('utf8');
  re.lastIndex = 0;
  let line = 1,
    counted = 0,
    m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    // Count newlines only up to the match: files are scanned once, lines are found only where there are matches.
    for (let i = text.indexOf('\n', counted); i !== -1 && i < m.index; i = text.indexOf('\n', i + 1)) {
      line++;
      counted = i + 1;
    }
    const start = text.lastIndexOf('\n', m.index - 1) + 1;
    let end = text.indexOf('\n', m.index + (m[0].length ? m[0].length - 1 : 0));
    if (end === -1) end = text.length;
    const l = text.slice(start, end);
    out.push({ path: rel, line, text: l.length > MAX_LINE_CHARS ? l.slice(0, MAX_LINE_CHARS) + '…' : l.replace(/\r$/, '') });
    if (out.length >= limit) return;
    re.lastIndex = end + 1; // one result per line, as grep reports
    if (end >= text.length) break;
  }
}

/** Single-threaded search (the worker runs this too). */
export function grepSync(root: TreeRoot, q: GrepQuery, signal?: AbortSignal): GrepResult {
  const { re, literal } = compile(q);
  const filter = globFilter(q.globs);
  const limit = q.maxResults ?? 200;
  const maxBytes = q.maxFileBytes ?? 4 * 1024 * 1024;
  const matches: GrepMatch[] = [];
  let filesSearched = 0;
  const reader = new TreeReader(root);
  try {
    for (const e of walk(reader, q.path ?? '', { gitignore: q.gitignore, signal })) {
      if (e.isDir || (filter && !filter(e.rel))) continue;
      // Opened through its directory's descriptor and checked on the descriptor: a symlink swapped in is not followed.
      const f = reader.openFile(e.rel);
      if (!f) continue;
      let buf: Buffer | undefined;
      try {
        buf = f.size > maxBytes ? undefined : readFd(f.fd, f.size);
      } catch {
        continue;
      } finally {
        fs.closeSync(f.fd);
      }
      if (!buf) continue;
      filesSearched++;
      scanBuffer(buf, e.rel, re, literal, matches, limit);
      if (matches.length >= limit) return { matches, filesSearched, truncated: true };
    }
  } finally {
    reader.close();
  }
  return { matches, filesSearched, truncated: false };
}
