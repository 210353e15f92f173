// Name folding for protected paths (what macOS and Windows treat as the same name) and unsafe-character checks.

/**
 * Code points file systems ignore or that change how a name displays: bidirectional embeddings/overrides/isolates,
 * zero-width characters, BOM, word joiner, invisible operators, variation selectors, soft hyphen. HFS+ ignores several
 * of them when comparing names, so `.g\u200Bit` can be `.git` there.
 */
const INVISIBLE =
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0]/gu;
/** C0/C1 controls, line/paragraph separators, bidi controls and zero-width characters: never allowed in a patch path. */
const UNSAFE = /[\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]/u;
const UNSAFE_G = new RegExp(UNSAFE.source, 'gu');
/** An NTFS 8.3 short name: up to 6 (or 2 + hash) characters, `~N`, an optional extension of up to 3. */
const SHORT_NAME = /^([^~]{1,6})~[0-9]{1,6}(\.[^.]{0,3})?$/;

/** What a case-insensitive, normalising file system compares: NFKC, case-folded, invisible characters dropped. */
function foldText(s: string): string {
  return s.normalize('NFKC').replace(INVISIBLE, '').toLowerCase().normalize('NFKC');
}

/**
 * One path segment as NTFS/APFS/HFS+ would resolve it: folded, `name:stream` (`::$DATA`) cut to `name`, trailing dots
 * and spaces dropped (Windows strips them). An empty result keeps the folded text (`...` is not the root).
 */
export function foldSegment(seg: string): string {
  let s = foldText(seg);
  const colon = s.indexOf(':');
  if (colon > 0) s = s.slice(0, colon);
  const trimmed = s.replace(/[. ]+$/, '');
  return trimmed || s;
}

/** The stem NTFS builds a short name from: leading dots, dots and spaces removed, upper-cased. */
function shortStem(name: string): string {
  const n = name.replace(/^\.+/, '');
  const dot = n.lastIndexOf('.');
  return (dot > 0 ? n.slice(0, dot) : n).replace(/[. ]/g, '').toUpperCase();
}

/** Whether `seg` could be the 8.3 short name of `name` (`GIT~1` for `.git`, `AIRLOC~1` for `.airlock`). */
export function isShortNameOf(seg: string, name: string): boolean {
  const m = SHORT_NAME.exec(foldSegment(seg).toUpperCase());
  if (!m) return false;
  const stem = shortStem(name);
  // Windows keeps up to 6 leading characters, or only 2 plus a hash when many names collide: compare what is kept.
  const kept = m[1].length >= 6 || m[1].length === stem.length ? m[1] : m[1].slice(0, 2);
  return kept.length > 0 && stem.startsWith(kept);
}

/** Whether two segments name the same entry on a case-insensitive, normalising file system. */
export function sameSegment(seg: string, protectedName: string): boolean {
  return foldSegment(seg) === foldSegment(protectedName) || isShortNameOf(seg, protectedName);
}

/**
 * Folds a path for matching against protected patterns: each segment folded, and a short name of one of `names`
 * replaced by that name, so `.GIT./HOOKS/pre-commit::$DATA` and `GIT~1/hooks` both read `.git/hooks/...`.
 */
export function foldPath(value: string, names: readonly string[]): string {
  return value
    .split('/')
    .map((seg) => {
      if (seg === '') return seg;
      const f = foldSegment(seg);
      if (!f.includes('~')) return f;
      const hit = names.find((n) => isShortNameOf(seg, n));
      return hit === undefined ? f : foldSegment(hit);
    })
    .join('/');
}

/** The first unsafe character of `s` (bidi control, zero-width, control), as `U+XXXX`, or undefined. */
export function unsafeChar(s: string): string | undefined {
  const m = UNSAFE.exec(s);
  return m ? 'U+' + m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0') : undefined;
}

/** Text safe to print: unsafe characters shown as `\u{202E}`, never raw (they can reorder what a person reads). */
export function escapeUnsafe(s: string): string {
  return s.replace(UNSAFE_G, (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase()}}`);
}
