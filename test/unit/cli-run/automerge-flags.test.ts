// CLI flags for auto-merge (`airlock run --auto-merge ...`) and warm pool sizes (`airlock sandbox pools T=N`).
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { AirlockError } from '../../../protocol/src/errors';
import { parseRunOptions, startParams } from '../../../cli/src/run/options';
import { parsePoolSizes } from '../../../cli/src/commands/sandbox';

const cwd = os.tmpdir();
const parse = (...args: string[]) => parseRunOptions(['fix it', ...args], cwd, 'USAGE');
const usageError = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof AirlockError && e.code === 'CLI_USAGE' && re.test(e.message));

describe('cli: auto-merge flags', () => {
  it('no --auto-merge: task/start carries no criteria', () => {
    const o = parse('--mode', 'explore');
    assert.equal(o.autoMerge, undefined);
    assert.equal('autoMerge' in startParams(o, 'fix it'), false);
  });

  it('--auto-merge alone: enabled with the settings defaults (test/**, 20 lines, tests must pass, no deletes/binaries, explore only)', () => {
    assert.deepEqual(startParams(parse('--auto-merge'), 'fix it').autoMerge, {
      enabled: true,
      paths: ['test/**'],
      maxChangedLines: 20,
      requireTestsPassed: true,
      modes: ['explore'],
      allowDeletes: false,
      allowBinary: false,
    });
  });

  it('--auto-merge-paths (repeatable, or several globs in one value) and --auto-merge-max-lines refine it', () => {
    const o = parse(
      '--auto-merge',
      '--auto-merge-paths',
      'test/**',
      '--auto-merge-paths',
      'docs/*.md  spec/**',
      '--auto-merge-max-lines',
      '0',
    );
    assert.deepEqual(o.autoMerge?.paths, ['test/**', 'docs/*.md', 'spec/**']);
    assert.equal(o.autoMerge?.maxChangedLines, 0);
  });

  it('refuses a bad line count, and refinements without --auto-merge', () => {
    usageError(() => parse('--auto-merge', '--auto-merge-max-lines=-3'), /whole number/);
    usageError(() => parse('--auto-merge', '--auto-merge-max-lines', 'ten'), /whole number/);
    usageError(() => parse('--auto-merge-paths', 'test/**'), /pass --auto-merge too/);
    usageError(() => parse('--auto-merge-max-lines', '5'), /pass --auto-merge too/);
  });
});

describe('cli: sandbox pools TEMPLATE=N', () => {
  it('parses sizes; none means show', () => {
    assert.deepEqual(parsePoolSizes([]), {});
    assert.deepEqual(parsePoolSizes(['code-executor=3', 'ai-provider=0']), { 'code-executor': 3, 'ai-provider': 0 });
  });

  it('refuses malformed or out-of-range sizes', () => {
    for (const bad of ['code-executor', 'code-executor=', '=2', 'code-executor=33', 'code-executor=-1', 'code executor=1', 'x=1.5'])
      usageError(() => parsePoolSizes([bad]), /TEMPLATE=N/);
  });
});
