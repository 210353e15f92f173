// confinePath (protocol/src/paths.ts): a table of the edge cases each former confinement function handled, and properties.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import fc from 'fast-check';
import { type Confined, type ConfineOptions, confinePath, REAL_PATH } from '../../../protocol/src/paths';
import { PATCH_PATH_RULES } from '../../../protocol/src/patches';

const ROOT = '/ws';
const MASK: ConfineOptions = { ...REAL_PATH, form: 'exact' };
const VOLUME: ConfineOptions = { backslash: 'reject' };

type Want = { ok: string; segments?: string[] } | { absolute: string } | 'outside' | { invalid: string };
interface Row {
  input: string;
  want: Want;
  o?: ConfineOptions;
  root?: string | null;
  why: string;
}

const TABLE: Row[] = [
  // Folding (policy normalisation, tools' safe opens, workspace reads, the task volume).
  { input: 'src/a.ts', want: { ok: 'src/a.ts', segments: ['src', 'a.ts'] }, why: 'a plain path is untouched' },
  { input: './src//a/../b/', want: { ok: 'src/b', segments: ['src', 'b'] }, why: '., .., repeated and trailing slashes fold' },
  { input: '.', want: { ok: '.', segments: [] }, why: 'the root is .' },
  { input: 'src/.', want: { ok: 'src' }, why: 'a trailing . folds' },
  { input: 'a/..', want: { ok: '.', segments: [] }, why: 'a/.. is the root' },
  { input: 'a/b/../../c', want: { ok: 'c' }, why: 'climbs that stay inside are fine' },
  { input: '..', want: 'outside', why: '.. is above the root' },
  { input: '../x', want: 'outside', why: 'a leading .. escapes' },
  { input: 'a/../../b', want: 'outside', why: 'folding that climbs above the root escapes' },
  { input: 'src/../../ws/src/a.ts', want: 'outside', why: 'out and back in is still a climb above the root (workspace reads accepted it)' },
  { input: 'u\u0308.txt', want: { ok: '\u00fc.txt' }, why: 'NFC' },
  { input: '..foo/bar..', want: { ok: '..foo/bar..' }, why: 'names that start or end with dots are names' },
  { input: '...', want: { ok: '...' }, why: '... is a name' },
  // Absolute paths: inside the root they are root-relative; elsewhere they are reported, folded.
  { input: '/ws/src/a.ts', want: { ok: 'src/a.ts' }, why: 'absolute inside the root' },
  { input: '/ws', want: { ok: '.', segments: [] }, why: 'the root, absolute' },
  { input: '/ws/', want: { ok: '.' }, why: 'the root with a trailing slash' },
  { input: '/ws/../ws/a', want: { ok: 'a' }, why: 'absolute paths fold before the comparison' },
  { input: '/wsx/a', want: { absolute: '/wsx/a' }, why: 'a sibling that shares the root as a prefix is not inside' },
  { input: '/ws/../etc', want: { absolute: '/etc' }, why: 'absolute climbs out' },
  { input: '/etc/passwd', want: { absolute: '/etc/passwd' }, why: 'absolute elsewhere' },
  { input: '/../etc//passwd', want: { absolute: '/etc/passwd' }, why: '/.. stays /, as in POSIX' },
  { input: '/ws/a', root: null, want: { absolute: '/ws/a' }, why: 'without a root, absolute is never inside' },
  { input: '/ws/a', root: '/ws/', want: { ok: 'a' }, why: 'a root with a trailing slash' },
  { input: '/a', root: '/', want: { ok: 'a' }, why: 'the file-system root as root' },
  { input: '//server/share', want: { absolute: '/server/share' }, why: 'a POSIX double slash is just absolute' },
  // Invalid input.
  { input: '', want: { invalid: 'empty' }, why: 'empty' },
  { input: 'a\0b', want: { invalid: 'nul' }, why: 'NUL' },
  { input: 'a\0b', o: { controls: 'allow' }, want: { invalid: 'nul' }, why: 'NUL even where controls are allowed' },
  { input: 'a\nb', want: { invalid: 'control' }, why: 'newline' },
  { input: 'tab\there', want: { invalid: 'control' }, why: 'tab' },
  { input: 'del\x7f', want: { invalid: 'control' }, why: 'DEL' },
  { input: 'a/'.repeat(3000), want: { invalid: 'too-long' }, why: 'over 4096 characters' },
  { input: 'a'.repeat(4096), want: { ok: 'a'.repeat(4096) }, why: 'exactly 4096 characters' },
  // Backslashes, drive and UNC forms: names on Linux (the policy's reading), refused where a Windows host may see them.
  { input: 'a\\..\\..\\etc', want: { ok: 'a\\..\\..\\etc', segments: ['a\\..\\..\\etc'] }, why: 'backslashes are name characters' },
  { input: '..\\x', want: { ok: '..\\x' }, why: '..\\x is one name, not a climb' },
  { input: 'C:\\Windows', want: { ok: 'C:\\Windows' }, why: 'a drive path is a name on Linux' },
  { input: 'C:/x', want: { ok: 'C:/x', segments: ['C:', 'x'] }, why: 'a drive letter is an ordinary segment' },
  { input: '\\\\server\\share', want: { ok: '\\\\server\\share' }, why: 'a UNC form is a name on Linux' },
  { input: 'a\\b', o: VOLUME, want: { invalid: 'backslash' }, why: 'backslash refused' },
  { input: '\\\\server\\share', o: VOLUME, want: { invalid: 'backslash' }, why: 'UNC refused' },
  { input: '/ws/a\\b', o: VOLUME, want: { invalid: 'backslash' }, why: 'backslash refused in absolute paths too' },
  // Exact form: patch paths (no folding, no NFC, byte limit, no backslash) and sandbox masks.
  { input: 'src/a.ts', o: PATCH_PATH_RULES, want: { ok: 'src/a.ts', segments: ['src', 'a.ts'] }, why: 'a patch path' },
  { input: 'a//b', o: PATCH_PATH_RULES, want: { invalid: 'empty-segment' }, why: 'exact: empty segment' },
  { input: 'a/', o: PATCH_PATH_RULES, want: { invalid: 'empty-segment' }, why: 'exact: trailing slash' },
  { input: './a', o: PATCH_PATH_RULES, want: { invalid: 'dot-segment' }, why: 'exact: . segment' },
  { input: 'a/..', o: PATCH_PATH_RULES, want: { invalid: 'dot-segment' }, why: 'exact: .. segment, never folded' },
  { input: '.', o: PATCH_PATH_RULES, want: { invalid: 'dot-segment' }, why: 'exact: the root is no patch path' },
  { input: '/ws/a', o: PATCH_PATH_RULES, want: { absolute: '/ws/a' }, why: 'exact: absolute, even inside the root' },
  { input: '/a\\b', o: PATCH_PATH_RULES, want: { absolute: '/a\\b' }, why: 'exact: absolute is named before a backslash' },
  { input: 'a\\b', o: PATCH_PATH_RULES, want: { invalid: 'backslash' }, why: 'patch: backslash' },
  { input: 'tab\there', o: PATCH_PATH_RULES, want: { ok: 'tab\there' }, why: 'patch: controls are named by the unsafe-character check' },
  { input: 'u\u0308', o: PATCH_PATH_RULES, want: { ok: 'u\u0308' }, why: 'patch: names stay byte for byte (no NFC)' },
  { input: '\u00e9'.repeat(2048), o: PATCH_PATH_RULES, want: { ok: '\u00e9'.repeat(2048) }, why: 'patch: 4096 UTF-8 bytes' },
  { input: '\u00e9'.repeat(2049), o: PATCH_PATH_RULES, want: { invalid: 'too-long' }, why: 'patch: 4098 UTF-8 bytes' },
  { input: 'a\nb/c', o: MASK, want: { ok: 'a\nb/c' }, why: 'mask: any name the file system allows' },
  { input: 'a/./b', o: MASK, want: { invalid: 'dot-segment' }, why: 'mask: . segment' },
];

function describeResult(c: Confined): Want {
  switch (c.type) {
    case 'ok':
      return { ok: c.rel, segments: c.segments };
    case 'absolute':
      return { absolute: c.path };
    case 'outside':
      return 'outside';
    case 'invalid':
      return { invalid: c.problem };
  }
}

describe('confinePath: edge cases of every former confinement', () => {
  for (const row of TABLE) {
    it(`${JSON.stringify(row.input.length > 40 ? row.input.slice(0, 40) + '…' : row.input)}: ${row.why}`, () => {
      const got = describeResult(confinePath(row.root === null ? undefined : (row.root ?? ROOT), row.input, row.o));
      const want = row.want;
      if (typeof want === 'object' && 'ok' in want && !want.segments && typeof got === 'object' && 'ok' in got) delete got.segments;
      assert.deepEqual(got, want);
    });
  }

  it('every refusal carries a reason, and a root that is not absolute is a caller bug', () => {
    for (const row of TABLE) {
      const c = confinePath(ROOT, row.input, row.o);
      if (c.type !== 'ok') assert.ok(c.reason.length > 0);
    }
    assert.throws(() => confinePath('ws', 'a'), TypeError);
  });
});

// Inputs built from the pieces that matter: dot segments, empty segments, backslashes, NFD, controls, the root's name.
const piece = fc.constantFrom('a', 'b', 'ws', '.', '..', '', '...', '\\', 'a\\..', 'C:', '\u00fc', 'u\u0308', '\t', '\0', ' ');
const pathLike = fc.tuple(fc.boolean(), fc.array(piece, { maxLength: 8 })).map(([abs, parts]) => (abs ? '/' : '') + parts.join('/'));
const anyInput = fc.oneof(pathLike, fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }));
const options = fc.record({
  form: fc.constantFrom<'fold' | 'exact' | undefined>('fold', 'exact', undefined),
  backslash: fc.constantFrom<'literal' | 'reject' | undefined>('literal', 'reject', undefined),
  controls: fc.constantFrom<'reject' | 'allow' | undefined>('reject', 'allow', undefined),
  nfc: fc.constantFrom(true, false, undefined),
});
const root = fc.constantFrom('/ws', '/', '/a/ws', '/ws/');

describe('confinePath properties (fast-check)', () => {
  it('never throws, and an accepted path re-joined to the root stays inside it', () => {
    fc.assert(
      fc.property(root, anyInput, options, (r, input, o) => {
        const c = confinePath(r, input, o);
        if (c.type !== 'ok') return;
        assert.ok(
          c.segments.every((s) => s !== '' && s !== '.' && s !== '..' && !s.includes('/') && !s.includes('\0')),
          JSON.stringify(c),
        );
        assert.equal(c.rel, c.segments.join('/') || '.');
        const base = path.posix.resolve(r);
        const joined = path.posix.resolve(base, ...c.segments);
        const back = path.posix.relative(base, joined);
        assert.ok(back === '' || (back !== '..' && !back.startsWith('../') && !path.posix.isAbsolute(back)), `${joined} left ${base}`);
        assert.equal(back || '.', c.rel);
      }),
      { numRuns: 3000 },
    );
  });

  it('folding is idempotent: an accepted path confines to itself, a reported absolute path to itself', () => {
    fc.assert(
      fc.property(root, anyInput, options, (r, input, o) => {
        const c = confinePath(r, input, o);
        if (c.type === 'ok' && c.segments.length) assert.deepEqual(confinePath(r, c.rel, o), c);
        if (c.type === 'absolute' && o.form !== 'exact') assert.deepEqual(confinePath(r, c.path, o), c);
      }),
      { numRuns: 3000 },
    );
  });

  it('folding agrees with POSIX path resolution (no symlinks): inside exactly when resolve stays under the root', () => {
    const plain = pathLike.filter((s) => !/[\0\t]/.test(s) && s !== '');
    fc.assert(
      fc.property(root, plain, (r, input) => {
        const c = confinePath(r, input);
        const nfc = input.normalize('NFC');
        const base = path.posix.resolve(r);
        if (nfc.startsWith('/')) {
          const rel = path.posix.relative(base, path.posix.resolve(nfc));
          const inside = rel === '' || (rel !== '..' && !rel.startsWith('../'));
          assert.equal(c.type, inside ? 'ok' : 'absolute', input);
          if (c.type === 'ok') assert.equal(c.rel, rel || '.');
          if (c.type === 'absolute') assert.equal(c.path, path.posix.resolve(nfc));
          return;
        }
        const norm = path.posix.normalize(nfc).replace(/\/$/, '');
        // `normalize` keeps a climb that folding refuses: any `..` left at its start means the path left the root.
        const climbs = norm === '..' || norm.startsWith('../') || prefixClimbs(nfc);
        assert.equal(c.type, climbs ? 'outside' : 'ok', input);
        if (c.type === 'ok') assert.equal(c.rel, norm === '' ? '.' : norm);
      }),
      { numRuns: 3000 },
    );
  });

  it('the exact form accepts only what folding leaves unchanged', () => {
    fc.assert(
      fc.property(root, anyInput, (r, input) => {
        const exact = confinePath(r, input, { form: 'exact', nfc: false });
        if (exact.type !== 'ok') return;
        const folded = confinePath(r, input, { nfc: false });
        assert.deepEqual(folded, exact);
      }),
      { numRuns: 3000 },
    );
  });
});

/** Whether some prefix of a relative path climbs above its start (`a/../../a` does, though it ends inside). */
function prefixClimbs(rel: string): boolean {
  let depth = 0;
  for (const s of rel.split('/')) {
    if (s === '' || s === '.') continue;
    depth += s === '..' ? -1 : 1;
    if (depth < 0) return true;
  }
  return false;
}
