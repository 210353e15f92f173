// Benchmark figures in docs/ are generated from the published results (and stay in step), and the results writer
// refuses unfair ratios and missing metadata.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkDocs, publish, REQUIRED_BLOCKS, renderBlock, updateDocs } from '../../../bench/docs';
import { buildResult, type Measured } from '../../../bench/lib';
import { BenchResult } from '../../../bench/schema';

const ROOT = path.join(__dirname, '..', '..', '..');
const commit = { sha: 'a'.repeat(40), dirty: false };
const fig = (value: number, over: Partial<Measured> = {}): Measured => ({
  value,
  unit: 'ms',
  stat: 'p50',
  n: 10,
  warmup: 2,
  model: 'in-process',
  work: 'the same work',
  ...over,
});

/** A scratch tree with the repository's docs and published results. */
function scratch(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-bench-docs-'));
  fs.cpSync(path.join(ROOT, 'docs'), path.join(dir, 'docs'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'bench', 'published'), path.join(dir, 'bench', 'published'), { recursive: true });
  return dir;
}

describe('bench docs', () => {
  it('every doc block matches what the committed results generate', () => {
    assert.deepEqual(checkDocs(ROOT), []);
    for (const name of Object.keys(REQUIRED_BLOCKS)) {
      const r = BenchResult.parse(JSON.parse(fs.readFileSync(path.join(ROOT, 'bench', 'published', `${name}.json`), 'utf8')));
      assert.ok(fs.readFileSync(path.join(ROOT, REQUIRED_BLOCKS[name]), 'utf8').includes(renderBlock(r)), name);
    }
  });

  it('reports a doc whose figures differ from its results file, and rewriting fixes it', () => {
    const dir = scratch();
    const file = path.join(dir, 'bench', 'published', 'scheduler.json');
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    r.metrics.decisions_per_s_10k_queued.value = 123_456_789;
    fs.writeFileSync(file, JSON.stringify(r));
    assert.deepEqual(checkDocs(dir), ['docs/scheduler.md: bench figures are stale (run `node scripts/bench-docs.mjs`)']);
    assert.deepEqual(updateDocs(dir), ['docs/scheduler.md']);
    assert.match(fs.readFileSync(path.join(dir, 'docs', 'scheduler.md'), 'utf8'), /123,456,789 1\/s/);
    assert.deepEqual(checkDocs(dir), []);
  });

  it('reports a hand-edited figure and a required block that was removed', () => {
    const dir = scratch();
    const audit = path.join(dir, 'docs', 'audit.md');
    fs.writeFileSync(audit, fs.readFileSync(audit, 'utf8').replace(/(\| `verify_1m_s` \| )[0-9.,]+/, '$1 0.5'));
    const tools = path.join(dir, 'docs', 'tools.md');
    fs.writeFileSync(tools, fs.readFileSync(tools, 'utf8').replace(/<!-- bench:tools -->[\s\S]*<!-- \/bench:tools -->/, 'fast.'));
    const problems = checkDocs(dir);
    assert.ok(problems.includes('docs/tools.md: has no <!-- bench:tools --> … <!-- /bench:tools --> block'), problems.join('\n'));
    assert.ok(
      problems.some((p) => p.startsWith('docs/audit.md: bench figures are stale')),
      problems.join('\n'),
    );
  });

  it('publish refuses a results file without the required metadata', () => {
    const dir = scratch();
    fs.mkdirSync(path.join(dir, 'bench', 'results'));
    const bare = { metrics: { patch_1_ms: { value: 3, unit: 'ms' } } };
    fs.writeFileSync(path.join(dir, 'bench', 'results', 'patch.json'), JSON.stringify(bare));
    assert.throws(() => publish(dir, 'patch'), /commit|machine|expected/);
  });
});

describe('bench results writer', () => {
  it('writes commit, machine, engine, figures, baselines and every ratio with its value', () => {
    const r = buildResult(
      {
        name: 'x',
        engine: { name: 'docker', version: '1' },
        metrics: { ours_ms: fig(5) },
        baselines: { base_ms: fig(10) },
        ratios: [['ours / base', 'ours_ms', 'base_ms']],
      },
      commit,
      0.1,
    );
    assert.equal(r.commit.sha, commit.sha);
    assert.equal(r.machine.cores, os.cpus().length);
    assert.equal(r.machine.memoryBytes, os.totalmem());
    assert.deepEqual(r.engine, { name: 'docker', version: '1' });
    assert.equal(r.baselines.base_ms.value, 10);
    assert.deepEqual(r.ratios, [{ label: 'ours / base', num: 'ours_ms', den: 'base_ms', value: 0.5 }]);
  });

  for (const [what, over, reason] of [
    ['process models', { model: 'spawned-cli' }, /process models differ/],
    ['warm-ups', { warmup: 0 }, /warm-ups differ/],
    ['sample counts', { n: 3 }, /sample counts differ/],
    ['statistics', { stat: 'median' }, /statistics differ/],
  ] as const) {
    it(`refuses a ratio between figures whose ${what} differ`, () => {
      assert.throws(
        () =>
          buildResult(
            {
              name: 'x',
              engine: null,
              metrics: { ours_ms: fig(5) },
              baselines: { base_ms: fig(10, over) },
              ratios: [['ours / base', 'ours_ms', 'base_ms']],
            },
            commit,
            0.1,
          ),
        (e: Error & { code?: string }) => e.code === 'BENCH_UNFAIR_RATIO' && reason.test(e.message),
      );
    });
  }

  it('refuses a ratio against a reference figure and a figure without its sampling', () => {
    assert.throws(
      () =>
        buildResult(
          {
            name: 'x',
            engine: null,
            metrics: { ours_ms: fig(5) },
            baselines: {},
            reference: { cli_ms: fig(9) },
            ratios: [['ours / cli', 'ours_ms', 'cli_ms']],
          },
          commit,
          0.1,
        ),
      /BENCH_RATIO_KEY|not a metric or baseline/,
    );
    const bare = { value: 1, unit: 'ms' } as unknown as Measured;
    assert.throws(
      () => buildResult({ name: 'x', engine: null, metrics: { ours_ms: bare }, baselines: {} }, commit, 0.1),
      /stat|work|model/,
    );
  });
});
