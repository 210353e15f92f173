// Path confinement: the one lexical check for an untrusted path beneath a root (pure: no Node, so the webview may use it).

/** Longest path accepted by default: Linux's PATH_MAX. */
export const MAX_PATH_CHARS = 4096;

export interface ConfineOptions {
  /**
   * 'fold' (default): `.`, `a/..`, repeated and trailing slashes are folded away, and a path that climbs above the root
   * is outside. 'exact': the path must already be folded (patch paths, sandbox masks name entries as they are, so a
   * `.`, `..` or empty segment there is malformed, never folded).
   */
  form?: 'fold' | 'exact';
  /**
   * A backslash is an ordinary name character on Linux, where the kernel and the policy read paths ('literal',
   * default), and a separator on Windows: 'reject' where a path may reach a Windows host or become a patch path.
   * Drive (`C:`) and UNC (`\\server\share`) forms are never special here: with 'literal' they are names (a UNC form is
   * a relative name made of backslashes); with 'reject' the UNC form is refused for its backslashes.
   */
  backslash?: 'literal' | 'reject';
  /** C0 controls and DEL: refused (default), or allowed where a later check names them or names come from a directory. */
  controls?: 'reject' | 'allow';
  /** NFC before folding (default true); exact-form paths name entries byte for byte and are usually not normalised. */
  nfc?: boolean;
  /** Longest input, in UTF-16 code units ('chars', default MAX_PATH_CHARS) or UTF-8 bytes. */
  max?: { n: number; unit: 'chars' | 'bytes' };
}

/** For a real path (from realpath) against a real root: its bytes as they are, whatever names the file system holds. */
export const REAL_PATH: ConfineOptions = { nfc: false, controls: 'allow', max: { n: Number.MAX_SAFE_INTEGER, unit: 'chars' } };

export type ConfineProblem = 'too-long' | 'empty' | 'nul' | 'control' | 'backslash' | 'empty-segment' | 'dot-segment';

/**
 * `ok`: `rel` is root-relative (`.` for the root itself, never with a `.`/`..`/empty segment) and `segments` its parts
 * (`[]` for the root). `absolute`: an absolute path not beneath the root (or no root given), folded in `path` when the
 * form is 'fold'. `outside`: a relative path that climbs above the root. `invalid`: malformed input. Each `reason` is
 * a predicate to follow the path or the word "path" ("contains a NUL byte"), so callers keep their own sentences.
 */
export type Confined =
  | { type: 'ok'; rel: string; segments: string[] }
  | { type: 'absolute'; path: string; reason: string }
  | { type: 'outside'; reason: string }
  | { type: 'invalid'; problem: ConfineProblem; reason: string };

const PLAIN = /^[\x20-\x7e]*$/;
const CONTROL = /[\x00-\x1f\x7f]/;
const encoder = new TextEncoder();
const DEFAULT_MAX = { n: MAX_PATH_CHARS, unit: 'chars' } as const;

/**
 * Confines `input` beneath `root` (an absolute POSIX path, or undefined when only relative input can be confined).
 * Lexical only: symlinks are the caller's business (resolve them, or open component by component without following).
 * Never throws for any input string (a root that is not absolute is a caller's bug: TypeError).
 */
export function confinePath(root: string | undefined, input: string, o: ConfineOptions = {}): Confined {
  if (root !== undefined && root.charCodeAt(0) !== 47) throw new TypeError(`confinePath: root ${JSON.stringify(root)} is not absolute`);
  const plain = PLAIN.test(input);
  const bad = checkInput(input, plain, o);
  if (bad) return bad;
  const s = o.nfc === false || plain ? input : input.normalize('NFC');
  const absolute = s.charCodeAt(0) === 47;
  if (absolute && o.form === 'exact') return { type: 'absolute', path: s, reason: 'is absolute' };
  if (o.backslash === 'reject' && s.includes('\\')) return invalid('backslash', 'contains a backslash (a separator on Windows hosts)');
  if (o.form === 'exact') return exact(s);
  if (!absolute) return foldRelative(s);
  const segs = foldSegments(s);
  const under = root === undefined ? undefined : beneath(foldSegments(o.nfc === false ? root : root.normalize('NFC')), segs);
  if (under) return ok(under);
  return { type: 'absolute', path: '/' + segs.join('/'), reason: 'is absolute' };
}

/** Length, emptiness, NUL and control characters: the checks made before any normalisation. */
function checkInput(input: string, plain: boolean, o: ConfineOptions): Confined | undefined {
  const max = o.max ?? DEFAULT_MAX;
  if (max.unit === 'chars' && input.length > max.n) return invalid('too-long', `is over-long (${input.length} > ${max.n} characters)`);
  if (input.length === 0) return invalid('empty', 'is empty');
  if (max.unit === 'bytes' && input.length * 3 > max.n && encoder.encode(input).length > max.n) {
    return invalid('too-long', `is longer than ${max.n} bytes`);
  }
  if (plain) return undefined;
  if (input.includes('\0')) return invalid('nul', 'contains a NUL byte');
  if (o.controls !== 'allow' && CONTROL.test(input)) return invalid('control', 'contains a control character');
  return undefined;
}

function exact(s: string): Confined {
  const segments = s.split('/');
  for (const seg of segments) {
    if (seg === '') return invalid('empty-segment', 'has an empty segment');
    if (seg === '.' || seg === '..') return invalid('dot-segment', `has a "${seg}" segment`);
  }
  return { type: 'ok', rel: s, segments };
}

function foldRelative(s: string): Confined {
  // Fast path (the policy's hot path): nothing to fold.
  if (!s.includes('//') && !s.includes('./') && !s.endsWith('/') && !s.endsWith('/.') && !s.endsWith('/..') && s !== '.' && s !== '..') {
    return { type: 'ok', rel: s, segments: s.split('/') };
  }
  const out: string[] = [];
  for (const seg of s.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg !== '..') out.push(seg);
    else if (out.length) out.pop();
    else return { type: 'outside', reason: 'climbs above the root' };
  }
  return ok(out);
}

/** An absolute path's segments after folding; `..` at `/` stays at `/`, as in POSIX. */
function foldSegments(abs: string): string[] {
  const out: string[] = [];
  for (const seg of abs.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out;
}

/** The rest of `segs` when it starts with all of `root`, else undefined. */
function beneath(root: string[], segs: string[]): string[] | undefined {
  if (segs.length < root.length) return undefined;
  for (let i = 0; i < root.length; i++) if (segs[i] !== root[i]) return undefined;
  return segs.slice(root.length);
}

function ok(segments: string[]): Confined {
  return { type: 'ok', rel: segments.length ? segments.join('/') : '.', segments };
}

function invalid(problem: ConfineProblem, reason: string): Confined {
  return { type: 'invalid', problem, reason };
}
