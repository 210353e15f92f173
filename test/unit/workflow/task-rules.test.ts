// Task edit rules as a table: which files an agent may edit in each mode and state, the test-run transitions, and
// which commands count as a test run.
import * as assert from 'node:assert/strict';
import type { WorkflowMode } from '../../../protocol/src/workflow';
import { isTestCommand } from '../../../kernel/src/agent/task-sandbox';
import { ExemptionPolicy } from '../../../kernel/src/workflow/exemptions';
import { findRule, WORKFLOW_TABLE } from '../../../kernel/src/workflow/table';
import { editVerdict, fileClassifier, type FileClass, ON_TEST_RUN, TO_REVIEW } from '../../../kernel/src/workflow/task-rules';

const classify = fileClassifier(ExemptionPolicy.parse({}));

describe('workflow task rules', () => {
  it('classifies test files, docs, config, generated files and implementation', () => {
    const cases: Array<[string, FileClass]> = [
      ['test/median.test.js', 'test'],
      ['src/a.spec.ts', 'test'],
      ['pkg/x_test.go', 'test'],
      ['tests/test_x.py', 'test'],
      ['src/__tests__/a.js', 'test'],
      ['README.md', 'docs-only'],
      ['docs/guide.txt', 'docs-only'],
      ['package.json', 'config'],
      ['.eslintrc', 'config'],
      ['dist/app.min.js', 'generated'],
      ['src/stats.js', 'implementation'],
      ['lib/testing.js', 'implementation'],
    ];
    for (const [p, c] of cases) assert.equal(classify(p), c, p);
  });

  it('strict: implementation edits are refused in spec naming failingTestSeen and what to do; allowed from red on', () => {
    const v = editVerdict('strict', 'spec', 'implementation');
    assert.ok(!v.ok);
    assert.equal(v.guard, 'failingTestSeen');
    assert.match(v.hint, /write a failing test first and run it/);
    for (const c of ['test', 'docs-only', 'config', 'generated'] as const) assert.ok(editVerdict('strict', 'spec', c).ok, c);
    for (const s of ['red', 'green', 'refactor'] as const) assert.ok(editVerdict('strict', s, 'implementation').ok, s);
    for (const s of ['review', 'merged'] as const) assert.ok(!editVerdict('strict', s, 'test').ok, s);
  });

  it('explore edits freely until review; debug needs a reproduction and a hypothesis before fixes', () => {
    assert.ok(editVerdict('explore', 'editing', 'implementation').ok);
    assert.ok(!editVerdict('explore', 'review', 'implementation').ok);
    const r = editVerdict('debug', 'reproduce', 'implementation');
    assert.ok(!r.ok && r.guard === 'reproducedFailing');
    const h = editVerdict('debug', 'hypothesise', 'implementation');
    assert.ok(!h.ok && h.guard === 'hypothesisRecorded');
    assert.ok(editVerdict('debug', 'reproduce', 'test').ok);
    for (const s of ['instrument', 'fix', 'verify'] as const) assert.ok(editVerdict('debug', s, 'implementation').ok, s);
  });

  it('every test-run transition and every step to review is a legal transition of the table', () => {
    for (const mode of Object.keys(WORKFLOW_TABLE) as WorkflowMode[]) {
      for (const [from, to] of Object.entries(ON_TEST_RUN[mode])) assert.ok(findRule(mode, from as never, to!), `${mode} ${from} -> ${to}`);
      for (const [from, steps] of Object.entries(TO_REVIEW[mode])) {
        let at = from;
        for (const to of steps!) {
          assert.ok(findRule(mode, at as never, to), `${mode} ${at} -> ${to}`);
          at = to;
        }
        assert.equal(at, 'review', `${mode} from ${from} ends in review`);
      }
    }
  });

  it('recognises test commands (and not commands that merely mention tests)', () => {
    for (const argv of [
      ['npm', 'test'],
      ['npm', 'run', 'test'],
      ['node', '--test'],
      ['node', '--test', '--test-reporter=spec'],
      ['npx', 'mocha'],
      ['./node_modules/.bin/jest'],
      ['python3', '-m', 'pytest', '-q'],
      ['go', 'test', './...'],
      ['sh', '-c', 'cd x && npm test'],
    ]) {
      assert.ok(isTestCommand(argv), argv.join(' '));
    }
    for (const argv of [
      ['cat', 'test/stats.test.js'],
      ['ls', 'test'],
      ['node', 'src/report.js'],
      ['grep', '-r', 'testing', '.'],
    ])
      assert.ok(!isTestCommand(argv), argv.join(' '));
  });
});
