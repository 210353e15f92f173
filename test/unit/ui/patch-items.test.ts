// The Patches view's rows: per-hunk states, binary and deletion wording, set labels, merge-editor sides.
import * as assert from 'node:assert/strict';
import type { FilePatch, Hunk } from '../../../protocol/src/patches';
import {
  actionWords,
  binarySummary,
  fileDescription,
  fileKindIcon,
  fileState,
  hunkLensTitles,
  hunkMarks,
  hunkState,
  mergeSides,
  setLabel,
  STATE_ICON,
} from '../../../extension/src/review/patchItems';

const H = (n: number, lines: string[], oldStart: number): Hunk => ({
  id: `h_${String(n).padStart(16, '0')}`,
  oldStart,
  oldLines: lines.filter((l) => !l.startsWith('+')).length,
  newStart: oldStart,
  newLines: lines.filter((l) => !l.startsWith('-')).length,
  lines,
});
const h1 = H(1, [' a', '-b', '+B', ' c'], 1);
const h2 = H(2, [' x', '-y', '+Y', ' z'], 10);
const sha = (c: string) => c.repeat(64);
const modify: FilePatch = {
  type: 'modify',
  path: 'src/m.ts',
  baseHash: sha('a'),
  newHash: sha('b'),
  oldMode: 0o644,
  newMode: 0o644,
  hunks: [h1, h2],
  added: 2,
  removed: 2,
};
const del: FilePatch = {
  type: 'delete',
  path: 'old.txt',
  baseHash: sha('c'),
  oldMode: 0o644,
  hunks: [H(3, ['-bye', '-now'], 1)],
  removed: 2,
  symlink: false,
};
const bin: FilePatch = {
  type: 'binary',
  path: 'logo.png',
  reason: 'binary',
  baseHash: sha('d'),
  newHash: '1a2b3c4d'.padEnd(64, 'e'),
  oldMode: 0o644,
  newMode: 0o644,
  oldSize: 2048,
  size: 5 * 1024 * 1024,
  gitOld: 'f'.repeat(40),
  gitNew: '0'.repeat(40),
};
const newBin: FilePatch = { ...bin, baseHash: null, oldSize: null, oldMode: null, gitOld: null, size: 300 };

describe('Patches view items', () => {
  it('gives each hunk its state: pending, accepted, rejected, conflicted (accepted but not placed), merged', () => {
    const review = { 'src/m.ts': { file: 'accept' as const, hunks: { [h2.id]: 'reject' as const } } };
    const none = { review, done: [], conflicts: [] };
    assert.equal(hunkState(none, 'src/m.ts', h1.id), 'accepted');
    assert.equal(hunkState(none, 'src/m.ts', h2.id), 'rejected', 'a hunk decision wins over the file decision');
    assert.equal(hunkState({ review: {}, done: [], conflicts: [] }, 'src/m.ts', h1.id), 'pending');
    const conflicted = { review, done: [], conflicts: [{ path: 'src/m.ts', hunkId: h1.id, reason: 'overlaps your edit' }] };
    assert.equal(hunkState(conflicted, 'src/m.ts', h1.id), 'conflicted');
    assert.equal(hunkState(conflicted, 'src/m.ts', h2.id), 'rejected', 'a dropped hunk is not a conflict');
    assert.equal(hunkState({ ...conflicted, done: [h1.id] }, 'src/m.ts', h1.id), 'merged', 'merged wins: it is in the workspace');
    assert.equal(fileState(conflicted, modify), 'conflicted');
    assert.equal(fileState({ review, done: [h1.id], conflicts: [] }, modify), 'partial');
    assert.equal(
      fileState({ review: { 'src/m.ts': { file: 'accept', hunks: {} } }, done: [h1.id, h2.id], conflicts: [] }, modify),
      'merged',
    );
    assert.equal(STATE_ICON.conflicted, 'warning');
  });

  it('shows a binary as binary: kind, sizes, hash, and replace/keep rather than a text diff', () => {
    assert.equal(binarySummary(bin as Extract<FilePatch, { type: 'binary' }>), 'binary · 2.0 KiB → 5.0 MiB · sha256 1a2b3c4d');
    assert.equal(binarySummary(newBin as Extract<FilePatch, { type: 'binary' }>), 'binary · new, 300 B · sha256 1a2b3c4d');
    assert.deepEqual(actionWords(bin), { accept: 'replace', reject: 'keep' });
    const review = { 'logo.png': { file: 'accept' as const, hunks: {} } };
    assert.equal(
      fileDescription(bin, fileState({ review, done: [], conflicts: [] }, bin)),
      'binary · 2.0 KiB → 5.0 MiB · sha256 1a2b3c4d · accepted (replace)',
    );
    assert.equal(fileDescription(bin, 'rejected'), 'binary · 2.0 KiB → 5.0 MiB · sha256 1a2b3c4d · rejected (keep)');
    assert.equal(fileKindIcon(bin), 'file-binary');
  });

  it('shows a deletion as a deletion: deleted, lines removed, delete/keep, a trash icon', () => {
    assert.equal(fileDescription(del, 'pending'), 'deleted · −2 lines · pending');
    assert.equal(fileDescription(del, 'accepted'), 'deleted · −2 lines · accepted (delete)');
    assert.equal(fileDescription(del, 'rejected'), 'deleted · −2 lines · rejected (keep)');
    assert.equal(fileKindIcon(del), 'trash');
    // add/delete carry one hunk standing for the file: its decision is the file's.
    assert.equal(
      fileState({ review: { 'old.txt': { hunks: { [del.hunks[0]!.id]: 'accept' } } }, done: [], conflicts: [] }, del),
      'accepted',
    );
    assert.equal(fileState({ review: { 'old.txt': { file: 'accept', hunks: {} } }, done: ['old.txt'], conflicts: [] }, del), 'merged');
    assert.equal(fileDescription(modify, 'partial'), '+2 −2 · partial');
    assert.equal(fileDescription(modify, 'rejected'), '+2 −2 · rejected');
  });

  it('labels a set by its prompt (one line, capped), falling back to the task id, then the set id', () => {
    assert.equal(setLabel({ id: 'ps_abcd', taskId: 't1' }, '  add a\n  mean   function '), 'add a mean function');
    assert.equal(setLabel({ id: 'ps_abcd', taskId: 't1' }, 'x'.repeat(200)).length, 80);
    assert.equal(setLabel({ id: 'ps_abcd', taskId: 't1' }), 't1');
    assert.equal(setLabel({ id: 'ps_abcd' }, '   '), 'ps_abcd');
  });

  it('marks decided hunks on their lens line at once: accepted, rejected, conflicted; none on pending or merged ones', () => {
    const facts = (
      review: Parameters<typeof hunkState>[0]['review'],
      done: string[] = [],
      conflicts: { path: string; hunkId: string; reason: string }[] = [],
    ) => ({ review, done, conflicts });
    assert.deepEqual(hunkMarks(facts({}), modify), [], 'nothing decided, nothing marked');
    assert.deepEqual(hunkMarks(facts({ 'src/m.ts': { hunks: { [h1.id]: 'accept', [h2.id]: 'reject' } } }), modify), [
      { state: 'accepted', hunkId: h1.id, line: 1 },
      { state: 'rejected', hunkId: h2.id, line: 10 },
    ]);
    assert.deepEqual(
      hunkMarks(facts({ 'src/m.ts': { file: 'accept', hunks: {} } }), modify).map((m) => m.state),
      ['accepted', 'accepted'],
      'a file decision marks each of its hunks',
    );
    assert.deepEqual(
      hunkMarks(facts({ 'src/m.ts': { file: 'accept', hunks: {} } }, [], [{ path: 'src/m.ts', hunkId: h2.id, reason: 'x' }]), modify),
      [
        { state: 'accepted', hunkId: h1.id, line: 1 },
        { state: 'conflicted', hunkId: h2.id, line: 10 },
      ],
    );
    assert.deepEqual(
      hunkMarks(facts({ 'src/m.ts': { file: 'accept', hunks: {} } }, [h1.id]), modify).map((m) => m.hunkId),
      [h2.id],
      'a merged hunk is in the workspace file, not in the proposed text',
    );
  });

  it('offers no Accept on a merged hunk and sends a conflicted one to the merge editor', () => {
    assert.deepEqual(hunkLensTitles('merged'), { accept: '$(git-merge) Merged', reject: '' });
    assert.match(hunkLensTitles('conflicted').accept, /merge editor/);
    assert.match(hunkLensTitles('conflicted').reject, /Drop/);
  });

  it("builds the merge editor's base and proposed sides from the base text and the accepted hunks only", () => {
    const baseText = ['a', 'b', 'c', '', '', '', '', '', '', 'x', 'y', 'z', ''].join('\n');
    const s = mergeSides(modify, new Set([h1.id]), baseText);
    assert.ok(!('reason' in s));
    assert.equal(s.base, baseText);
    assert.equal(s.proposed, baseText.replace('\nb\n', '\nB\n'), 'the rejected hunk is not proposed');
    assert.match((mergeSides(modify, new Set([h1.id]), undefined) as { reason: string }).reason, /base content/);
    assert.match((mergeSides(bin, new Set(), undefined) as { reason: string }).reason, /whole-file/);
  });
});
