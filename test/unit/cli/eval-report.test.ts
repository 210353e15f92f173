// airlock eval's report: results.json numbers (per task and aggregate), the self-contained HTML (escaped, a chart per
// metric, nothing external) and the terminal table.
import * as assert from 'node:assert/strict';
import { buildReport, formatTable } from '../../../cli/src/eval/report';
import { METRICS, renderHtml } from '../../../cli/src/eval/report-html';
import type { LoadedTask } from '../../../cli/src/eval/suite';
import { EvalReport, type EvalRun, type EvalTask } from '../../../protocol/src/eval';

const EVIL = '<script>alert("x")</script> & <img src=https://evil.example/x.png>';
const task = (id: string, extra: Partial<EvalTask> = {}): LoadedTask => ({
  dir: `/s/${id}`,
  prompt: 'p',
  repo: `/s/${id}/repo`,
  task: {
    id,
    title: `title of ${id}`,
    language: 'javascript',
    kind: 'bug-fix',
    limits: { timeoutSeconds: 60 },
    check: 'true',
    checkTimeoutSeconds: 60,
    expect: 'pass',
    approvals: 'deny',
    ...extra,
  },
});
const run = (t: string, attempt: number, success: boolean, o: Partial<EvalRun> = {}): EvalRun => ({
  task: t,
  attempt,
  success,
  status: 'completed',
  message: 'done',
  check: { exitCode: success ? 0 : 1, timedOut: false, output: '' },
  tokensIn: 100,
  tokensOut: 10,
  costUsd: 0.01,
  wallMs: 2000,
  toolCalls: 3,
  denials: 0,
  approvalsAsked: 0,
  filesChanged: 1,
  ...o,
});
const meta = {
  suite: 'starter',
  provider: 'replay',
  model: null,
  mode: null,
  repeat: 2,
  startedAt: new Date(0),
  finishedAt: new Date(60_000),
};

describe('airlock eval: report', () => {
  const tasks = [task('alpha'), task('beta', { title: EVIL, expect: 'stop', kind: 'denied-action' })];
  const runs = [
    run('alpha', 1, true),
    run('alpha', 2, false, { costUsd: null, tokensIn: 50, message: EVIL, check: { exitCode: 1, timedOut: false, output: EVIL } }),
    run('beta', 1, true, { denials: 1, toolCalls: 1, wallMs: 4000 }),
    run('beta', 2, true, { denials: 2, approvalsAsked: 1 }),
  ];
  const report = buildReport(tasks, runs, meta);

  it('sums per task and for the suite; a run without a known price makes that cost unknown', () => {
    assert.equal(EvalReport.safeParse(JSON.parse(JSON.stringify(report))).success, true);
    const [alpha, beta] = report.tasks;
    assert.deepEqual([alpha!.aggregate.successes, alpha!.aggregate.runs, alpha!.aggregate.successRate], [1, 2, 0.5]);
    assert.equal(alpha!.aggregate.costUsd, null);
    assert.equal(alpha!.aggregate.tokensIn, 150);
    const b = beta!.aggregate;
    assert.deepEqual([b.successRate, b.denials, b.approvalsAsked, b.meanWallMs], [1, 3, 1, 3000]);
    assert.ok(Math.abs(beta!.aggregate.costUsd! - 0.02) < 1e-12);
    const a = report.aggregate;
    assert.deepEqual([a.runs, a.successes, a.successRate, a.toolCalls, a.denials, a.wallMs, a.costUsd], [4, 3, 0.75, 10, 3, 10_000, null]);
  });

  it('renders self-contained HTML: every task text escaped, one SVG chart per metric, nothing fetched', () => {
    const html = renderHtml(report);
    assert.ok(!html.includes('<script'), 'no script, not even the escaped title as markup');
    assert.ok(!/<img/i.test(html));
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=https://evil.example/x.png&gt;'));
    assert.equal((html.match(/<svg /g) ?? []).length, METRICS.length);
    assert.ok(!/<[^>]*\s(src|href)=/i.test(html), 'no element loads anything (no src or href attribute)');
    assert.match(html, /default-src 'none'/);
    assert.match(html, /Success rate 75\.0%/);
    // The unknown cost is drawn as n/a, not as a zero bar.
    const cost = html.slice(html.indexOf('Cost (USD)'), html.indexOf('</figure>', html.indexOf('Cost (USD)')));
    assert.match(cost, />n\/a</);
  });

  it('draws bars proportional to the largest value', () => {
    const html = renderHtml(report);
    const wall = html.slice(html.indexOf('Wall time per run'), html.indexOf('</figure>', html.indexOf('Wall time per run')));
    const widths = [...wall.matchAll(/<rect [^>]*width="(\d+)"[^>]*class="bar"/g)].map((m) => Number(m[1]));
    assert.deepEqual(widths, [240, 360], 'alpha 2 s of beta 3 s: two thirds of the full bar');
  });

  it('prints a table row per task and a total with the success rate; control characters in ids cannot reach the terminal', () => {
    const lines = formatTable(report);
    assert.match(lines[0]!, /^task\s+ok\s+tokens in\/out\s+cost/);
    assert.match(lines[1]!, /^alpha\s+1\/2\s+150\/20\s+n\/a/);
    assert.match(lines[2]!, /^beta\s+2\/2/);
    assert.match(lines.at(-2)!, /^total \(2 tasks\)\s+3\/4/);
    assert.equal(lines.at(-1), 'success rate 75.0% (3 of 4 runs)');
  });
});
