import * as assert from 'node:assert/strict';
import { AutoMergeCriteria, type PatchSet } from '../../../protocol/src/patches';
import { evaluateAutoMerge } from '../../../kernel/src/patches/automerge';
import { sha256 } from '../../../core/src/apply/file-hash';

const h = sha256('x');
function set(over: Partial<PatchSet> = {}): PatchSet {
  return {
    id: 'ps_test_1',
    createdAt: 0,
    source: 'overlay',
    blocked: [],
    warnings: [],
    testsPassed: true,
    status: 'pending',
    stats: { files: 1, added: 3, removed: 1 },
    files: [
      { type: 'modify', path: 'test/a.test.ts', baseHash: h, newHash: h, oldMode: 0o644, newMode: 0o644, hunks: [], added: 3, removed: 1 },
    ],
    ...over,
  };
}
const criteria = (c: Partial<AutoMergeCriteria> = {}) =>
  AutoMergeCriteria.parse({ enabled: true, paths: ['test/**'], maxChangedLines: 10, ...c });

describe('patches: auto-merge criteria', () => {
  it('allows a small change under test/ with passing tests in explore mode', () => {
    const v = evaluateAutoMerge(set(), criteria(), { mode: 'explore' });
    assert.deepEqual(v, { allowed: true, reasons: [], criteria: criteria() });
  });

  it('is off by default and never allowed in strict mode', () => {
    assert.equal(evaluateAutoMerge(set(), AutoMergeCriteria.parse({}), { mode: 'explore' }).allowed, false);
    const v = evaluateAutoMerge(set(), criteria({ modes: ['strict', 'explore'] }), { mode: 'strict' });
    assert.deepEqual(v.reasons, ['auto-merge is never allowed in strict mode']);
  });

  it('names every failed condition: paths, size, tests, deletes, binary, blocked changes', () => {
    const s = set({
      testsPassed: false,
      stats: { files: 3, added: 20, removed: 5 },
      blocked: [{ path: '.git/x', reason: 'protected' }],
      files: [
        { type: 'modify', path: 'src/app.ts', baseHash: h, newHash: h, oldMode: 0o644, newMode: 0o644, hunks: [], added: 20, removed: 0 },
        { type: 'delete', path: 'test/old.ts', baseHash: h, oldMode: 0o644, hunks: [], removed: 5, symlink: false },
        {
          type: 'binary',
          path: 'test/fixture.png',
          reason: 'binary',
          baseHash: null,
          newHash: h,
          oldMode: null,
          newMode: 0o644,
          oldSize: null,
          size: 1,
          gitOld: null,
          gitNew: 'a'.repeat(40),
        },
      ],
    });
    const v = evaluateAutoMerge(s, criteria(), { mode: 'debug' });
    assert.equal(v.allowed, false);
    assert.deepEqual(v.reasons, [
      'mode debug is not one of explore',
      '1 change(s) were blocked; a person should look',
      'tests failed in the sandbox',
      '25 changed lines exceed the limit of 10',
      'src/app.ts is outside the auto-merge paths',
      'test/old.ts would be deleted',
      'test/fixture.png is a full-file (binary) change',
    ]);
  });
});
