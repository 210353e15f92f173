// Test-runner detection from a project probe: npm test, mocha, go test, pytest, node --test, and nothing.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { detectTestCommand, PROBE_SOURCE, ProjectProbe } from '../../../kernel/src/workflow/detect-tests';
import { tempDir } from './helpers';

const probe = (p: Partial<ProjectProbe>) => ProjectProbe.parse({ files: [], ...p });
const kind = (p: Partial<ProjectProbe>) => detectTestCommand(probe(p))?.kind;

describe('test runner detection', () => {
  it("prefers package.json scripts.test, but not npm's placeholder", () => {
    assert.deepEqual(
      detectTestCommand(probe({ files: ['package.json'], packageJson: JSON.stringify({ scripts: { test: 'jest' } }) }))?.argv,
      ['npm', 'test', '--silent'],
    );
    const placeholder = JSON.stringify({ scripts: { test: 'echo "Error: no test specified" && exit 1' } });
    assert.equal(kind({ files: ['package.json', 'a.test.js'], packageJson: placeholder }), 'node-test');
  });

  it('finds mocha by dependency or .mocharc, then go, then pytest, then node --test files', () => {
    assert.equal(kind({ packageJson: JSON.stringify({ devDependencies: { mocha: '^10' } }) }), 'mocha');
    assert.equal(kind({ files: ['.mocharc.json'] }), 'mocha');
    assert.deepEqual(detectTestCommand(probe({ files: ['go.mod', 'main.go'] }))?.argv, ['go', 'test', '-v', './...']);
    assert.equal(kind({ files: ['pyproject.toml'], pyproject: '[tool.pytest.ini_options]\nx=1\n' }), 'pytest');
    assert.equal(kind({ files: ['setup.cfg'], setupCfg: '[tool:pytest]\n' }), 'pytest');
    assert.equal(kind({ files: ['tests'], testDir: ['test_calc.py'] }), 'pytest');
    for (const f of ['calc.test.js', 'calc-test.mjs', 'calc_test.cjs', 'test.js', 'test-calc.js'])
      assert.equal(kind({ files: [f] }), 'node-test', f);
    assert.equal(kind({ files: ['test'], testDir: ['calc.js'] }), 'node-test');
  });

  it('finds nothing in a project without tests (and a broken package.json is not a test script)', () => {
    assert.equal(kind({ files: ['README.md', 'latest.js', 'contest.js'] }), undefined);
    assert.equal(kind({ files: ['package.json'], packageJson: '{ not json' }), undefined);
  });

  it('the probe program reads a real project', () => {
    const dir = tempDir('probe');
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ scripts: { test: 'node --test' } }));
    fs.mkdirSync(path.join(dir, 'test'));
    fs.writeFileSync(path.join(dir, 'test', 'a.js'), '');
    const out = ProjectProbe.parse(JSON.parse(execFileSync(process.execPath, ['-e', PROBE_SOURCE], { cwd: dir, encoding: 'utf8' })));
    assert.deepEqual([out.files.sort(), out.testDir], [['package.json', 'test'], ['a.js']]);
    assert.equal(detectTestCommand(out)?.kind, 'npm-test');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
