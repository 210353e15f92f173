// Pattern compilation, done once at load: path globs (picomatch), command/host/name globs, subject patterns.
import picomatch from 'picomatch';
import type { Subject } from '../../../protocol/src/policy';
import type { ResourceKind } from './actions';
import { foldPath, foldSegment } from './fold';
import { normalisePathLexical } from './normalise';

export interface ResourceMatcher {
  /** Literal leading segments (for the rule index); [] means "anywhere". Absolute paths start with ''. */
  readonly prefix: readonly string[];
  test(value: string, absolute: boolean): boolean;
}

const ANY: ResourceMatcher = { prefix: [], test: () => true };
export const anyResource = (): ResourceMatcher => ANY;

function escapeRe(s: string): string {
  return s.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** `*` matches any run of characters (spaces and slashes too), `?` one character. */
export function simpleGlob(pattern: string): RegExp {
  return new RegExp(
    '^' +
      pattern
        .split('*')
        .map((p) => p.split('?').map(escapeRe).join('.'))
        .join('.*') +
      '$',
    's',
  );
}

/**
 * `fold`: match as a case-insensitive, normalising file system would (macOS, Windows): both sides folded (fold.ts).
 * Used for the built-in protections, which only deny or ask, so folding can only widen them.
 */
export function compilePathPattern(raw: string, workspace?: string, fold = false): ResourceMatcher {
  if (fold) return foldedPathPattern(raw, workspace);
  if (raw.startsWith('!')) throw new Error(`negated pattern ${JSON.stringify(raw)}: use "except" instead`);
  let p = raw.normalize('NFC').replace(/\/{2,}/g, '/');
  while (p.startsWith('./')) p = p.slice(2);
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (p.split('/').includes('..')) throw new Error(`pattern ${JSON.stringify(raw)} contains ".."`);
  if (workspace && (p === workspace || p.startsWith(workspace + '/'))) p = p.slice(workspace.length + 1) || '**';
  const absolute = p.startsWith('/');
  const scan = picomatch.scan(p);
  if (!scan.isGlob) {
    const lit = normalisePathLexical(p);
    if (!lit.ok) throw new Error(lit.reason);
    const v = lit.value;
    return { prefix: literalPrefix(v, absolute), test: (value, abs) => abs === absolute && value === v };
  }
  const prefix = scan.base.includes('\\') ? literalPrefix('', absolute) : literalPrefix(scan.base, absolute);
  // makeRe + RegExp.test is several times faster than picomatch's matcher function on the hot path.
  const re = picomatch.makeRe(p, { dot: true, strictBrackets: true });
  const isMatch = (v: string) => re.test(v);
  const matchesRoot = !absolute && p === '**'; // the workspace root itself
  return {
    prefix,
    test: (value, abs) => abs === absolute && (value === '.' ? matchesRoot : isMatch(value)),
  };
}

const GLOB_CHARS = /[*?[\]{}()!+@]/;

function foldedPathPattern(raw: string, workspace?: string): ResourceMatcher {
  const plain = compilePathPattern(raw, workspace);
  const absolute = plain.prefix[0] === '';
  let p = raw.normalize('NFC').replace(/\/{2,}/g, '/');
  while (p.startsWith('./')) p = p.slice(2);
  if (workspace && (p === workspace || p.startsWith(workspace + '/'))) p = p.slice(workspace.length + 1) || '**';
  const segs = p.split('/');
  const names = segs.filter((x) => x && !GLOB_CHARS.test(x));
  const folded = compilePathPattern(segs.map((x) => (GLOB_CHARS.test(x) ? x.toLowerCase() : x && foldSegment(x))).join('/'));
  // Folding changes segments (`.GIT` -> `.git`), so the index cannot key on them: only the root marker stays.
  return { prefix: absolute ? [''] : [], test: (value, abs) => folded.test(foldPath(value, names), abs) };
}

/**
 * The index key of a path pattern: its literal leading segments as normalised values split (absolute ones start with
 * ''). `/**` has base `/`, whose naive split ['', ''] no value ever walks: the rule would never be evaluated. A prefix
 * may only be shortened (more rules checked), so anything unusual (`.`, empty segments) ends it.
 */
function literalPrefix(base: string, absolute: boolean): string[] {
  const out: string[] = absolute ? [''] : [];
  for (const seg of base.split('/').slice(absolute ? 1 : 0)) {
    if (seg === '' || seg === '.' || seg === '..') break;
    out.push(seg);
  }
  return out;
}

/** Command patterns: whitespace collapsed; `cmd *` also matches `cmd` alone; the first literal word indexes it. */
export function compileCommandPattern(raw: string): ResourceMatcher {
  const p = raw.trim().replace(/\s+/g, ' ');
  const re = simpleGlob(p);
  const bare = p.endsWith(' *') ? p.slice(0, -2) : undefined;
  const first = p.split(' ')[0];
  const prefix = /[*?]/.test(first) ? [] : [first];
  return { prefix, test: (value) => value === bare || re.test(value) };
}

export function compileSimplePattern(raw: string, lower = false): ResourceMatcher {
  const re = simpleGlob(lower ? raw.trim().toLowerCase() : raw.trim());
  return { prefix: [], test: (value) => re.test(value) };
}

/** host:port patterns; a literal host indexes the rule. */
export function compileHostPattern(raw: string): ResourceMatcher {
  const p = raw.trim().toLowerCase();
  const host = p.slice(0, p.lastIndexOf(':') < 0 ? p.length : p.lastIndexOf(':'));
  return { ...compileSimplePattern(p), prefix: /[*?]/.test(host) || !p.includes(':') ? [] : [host] };
}

export function compileResourcePattern(kind: ResourceKind, raw: string, workspace?: string, fold = false): ResourceMatcher {
  switch (kind) {
    case 'path':
      return compilePathPattern(raw, workspace, fold);
    case 'command':
      return compileCommandPattern(raw);
    case 'hostport':
      return compileHostPattern(raw);
    case 'name':
      return compileSimplePattern(raw);
    default: {
      const never: never = kind;
      throw new Error(`unknown resource kind ${String(never)}`);
    }
  }
}

/** Splits a normalised resource into the segments the index walks. */
export function resourceSegments(kind: ResourceKind, value: string): string[] {
  if (kind === 'path') return value === '.' ? [] : value.split('/');
  if (kind === 'command') {
    const sp = value.indexOf(' ');
    return [sp < 0 ? value : value.slice(0, sp)];
  }
  if (kind === 'hostport') return [value.slice(0, value.lastIndexOf(':'))];
  return [];
}

export type SubjectMatcher = (s: Subject) => boolean;

/** `agent:*`, `user:alice`, `tag:reviewer`, `*`; several patterns match when any does. */
export function compileSubjects(patterns: readonly string[]): SubjectMatcher {
  const parts = patterns.map((raw): SubjectMatcher => {
    if (raw === '*') return () => true;
    const colon = raw.indexOf(':');
    if (colon <= 0) throw new Error(`subject pattern ${JSON.stringify(raw)} must be kind:id, tag:name or *`);
    const kind = raw.slice(0, colon);
    const re = simpleGlob(raw.slice(colon + 1));
    if (kind === 'tag') return (s) => s.tags.some((t) => re.test(t));
    if (!['agent', 'plugin', 'user', 'kernel'].includes(kind))
      throw new Error(`subject kind ${JSON.stringify(kind)} is not agent, plugin, user, kernel or tag`);
    return (s) => s.kind === kind && re.test(s.id);
  });
  return parts.length === 1 ? parts[0] : (s) => parts.some((m) => m(s));
}
