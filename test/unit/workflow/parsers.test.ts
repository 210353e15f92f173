// Test-output parsing: real mocha and node:test runs here, captured pytest output, and jest/vitest/go shapes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type AirlockError } from '../../../protocol/src/errors';
import { parseTestOutput } from '../../../kernel/src/workflow/test-results';
import { checkedResult } from '../../../kernel/src/workflow/test-runner';
import { TempProject } from './helpers';

const fixture = (f: string) => fs.readFileSync(path.join(__dirname, 'fixtures', f), 'utf8');

describe('workflow/test-results', () => {
  const cases: Array<[string, string, string[]]> = [
    [
      'mocha-spec.txt',
      'mocha-spec',
      ['top level ok', 'calc > adds', 'calc > subtracts', 'calc > nested > multiplies', 'calc > nested > divides'],
    ],
    ['mocha-tap.txt', 'tap', ['top level ok', 'calc adds', 'calc subtracts', 'calc nested multiplies', 'calc nested divides']],
    [
      'node-spec.txt',
      'node-spec',
      ['calc > adds', 'calc > subtracts', 'calc > nested > multiplies', 'calc > nested > divides', 'top level ok'],
    ],
    ['node-tap.txt', 'tap', ['calc > adds', 'calc > subtracts', 'calc > nested > multiplies', 'calc > nested > divides', 'top level ok']],
    [
      'pytest-v.txt',
      'pytest',
      [
        'test_calc.py::test_adds',
        'test_calc.py::test_subtracts',
        'test_calc.py::test_divides',
        'test_calc.py::TestNested::test_multiplies',
      ],
    ],
    ['jest.txt', 'jest', ['adds', 'subtracts', 'multiplies', 'divides']],
    ['vitest.txt', 'vitest', ['calc > adds', 'calc > subtracts', 'calc > nested > multiplies', 'calc > nested > divides']],
    ['go-v.txt', 'go', ['TestAdds', 'TestSubtracts', 'TestNested/multiplies', 'TestNested/divides']],
  ];
  for (const [file, runner, names] of cases) {
    it(`parses ${file} (${runner}): counts, names, the failing one`, () => {
      const r = parseTestOutput(fixture(file))!;
      assert.equal(r.runner, runner);
      assert.equal(r.failed, 1);
      assert.equal(r.skipped, 1);
      assert.equal(r.passed, file.startsWith('mocha') || file.startsWith('node') ? 3 : 2);
      assert.deepEqual(
        r.tests.map((t) => t.name),
        names,
      );
      assert.equal(
        r.tests.find((t) => t.status === 'failed')!.name,
        names.find((n) => /subtracts|Subtracts/.test(n)),
      );
    });
  }

  it('reads pytest -q counts even without per-test lines, and strips colour codes', () => {
    assert.deepEqual(parseTestOutput(fixture('pytest-q.txt')), {
      runner: 'pytest',
      passed: 2,
      failed: 1,
      skipped: 1,
      tests: [{ name: 'test_calc.py::test_subtracts', status: 'failed' }],
    });
    const coloured = fixture('mocha-spec.txt').replace(/✔/g, '\x1b[32m✔\x1b[0m');
    assert.equal(parseTestOutput(coloured)!.passed, 3);
  });

  it('refuses output it cannot read and output that contradicts the exit code (fail closed)', () => {
    assert.equal(parseTestOutput('Segmentation fault (core dumped)\n'), undefined);
    assert.throws(
      () => checkedResult('Segmentation fault\n', 139),
      (e: AirlockError) => e.code === 'WORKFLOW_TEST_OUTPUT_UNKNOWN',
    );
    assert.throws(
      () => checkedResult(fixture('mocha-spec.txt'), 0),
      (e: AirlockError) => e.code === 'WORKFLOW_TEST_OUTPUT_MISMATCH',
    );
    assert.equal(checkedResult(fixture('mocha-spec.txt') + '\nAll files |   81.2 |   70 |   90 |   79.5 |\n', 1).coverage, 79.5);
  });

  for (const kind of ['mocha', 'node-test'] as const) {
    it(`runs ${kind} for real in a child process and parses its output`, async function () {
      this.timeout(30_000);
      const p = new TempProject(kind);
      try {
        p.setTests([
          ['adds', 'calc.add(1, 2) === 3'],
          ['subtracts', 'calc.sub(3, 1) === 2'],
        ]);
        const red = await p.runner().run(AbortSignal.timeout(30_000));
        assert.deepEqual([red.passed, red.failed, red.exitCode !== 0], [1, 1, true]);
        assert.deepEqual(red.tests, [
          { name: 'calc > adds', status: 'passed' },
          { name: 'calc > subtracts', status: 'failed' },
        ]);
        p.setImpl('exports.add = (a, b) => a + b;\nexports.sub = (a, b) => a - b;\n');
        const green = await p.runner().run(AbortSignal.timeout(30_000));
        assert.deepEqual([green.passed, green.failed, green.exitCode], [2, 0, 0]);
      } finally {
        p.dispose();
      }
    });
  }

  it('kills the test process when the signal aborts', async () => {
    const p = new TempProject('node-test');
    try {
      p.setTests([['hangs', 'require("node:child_process").execSync("sleep 20") || true']]);
      const ac = new AbortController();
      const t = Date.now();
      setTimeout(() => ac.abort(), 300);
      await assert.rejects(p.runner().run(ac.signal), (e: AirlockError) => e.code === 'RPC_CANCELLED');
      assert.ok(Date.now() - t < 5000);
    } finally {
      p.dispose();
    }
  });
});
