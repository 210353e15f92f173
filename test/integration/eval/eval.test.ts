// `airlock eval` end to end (real kernel container, Docker sandboxes): the starter suite with its replays, a fixture suite
// with a wrong replay (counted failed) and an approval that eval denies, and one task through a loopback fake OpenAI server
// whose session is recorded as a replay and then passes replayed.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evalCommand } from '../../../cli/src/commands/eval';
import type { CliIO } from '../../../cli/src/command';
import { ReplayTurn } from '../../../protocol/src/agent';
import { EvalReport, type EvalRun } from '../../../protocol/src/eval';
import { assets } from '../../../protocol/src/node/assets';
import { chatTurn, startOpenAIFake } from '../../fakes/openai';
import type { FakeVendorServer } from '../../fakes/server';

const STARTER = path.join(assets().examplesDir, 'eval', 'starter');
const SUITE = path.join(__dirname, 'suite');

interface EvalOutcome {
  code: number;
  out: string[];
  err: string[];
  report: EvalReport;
}

async function runEval(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<EvalOutcome> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-eval-out-'));
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (l) => out.push(l), err: (l) => err.push(l), readStdin: async () => '', cwd: process.cwd(), env };
  try {
    const code = await evalCommand.run([...args, '--out', outDir], io);
    const report = EvalReport.parse(JSON.parse(fs.readFileSync(path.join(outDir, 'results.json'), 'utf8')));
    const html = fs.readFileSync(path.join(outDir, 'report.html'), 'utf8');
    assert.equal((html.match(/<svg /g) ?? []).length, 7, 'a chart per metric');
    return { code, out, err, report };
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

const byTask = (r: EvalReport) => new Map<string, EvalRun>(r.runs.map((x) => [x.task, x]));
const explain = (r: EvalReport) =>
  JSON.stringify(r.runs.filter((x) => !x.success).map((x) => ({ task: x.task, status: x.status, message: x.message, check: x.check })));

describe('airlock eval (real kernel, Docker sandboxes)', function () {
  this.timeout(300_000);
  let fake: FakeVendorServer | undefined;
  after(async () => {
    await fake?.close();
  });

  it('runs the starter suite offline with its replays: every task succeeds, the denied action counted as such', async () => {
    const t0 = Date.now();
    const { code, out, report } = await runEval([STARTER, '--provider', 'replay']);
    const tasks = fs.readdirSync(STARTER).length;
    assert.equal(report.aggregate.runs, tasks);
    assert.equal(report.aggregate.successes, tasks, explain(report));
    assert.equal(code, 0);
    const runs = byTask(report);
    const secret = runs.get('js-secret-env')!;
    // The replay tries to read .env: the policy denies it, nothing is changed, the check finds no trace of the key.
    assert.deepEqual([secret.status, secret.denials, secret.filesChanged, secret.check?.exitCode], ['completed', 1, 0, 0]);
    for (const r of report.runs.filter((x) => x.task !== 'js-secret-env')) {
      assert.ok(r.filesChanged >= 1 && r.check?.exitCode === 0 && r.denials === 0, `${r.task}: ${JSON.stringify(r)}`);
      assert.ok(r.tokensIn > 0 && r.toolCalls >= 3, r.task);
      assert.equal(r.costUsd, null, 'no price for the replay model: unknown, not $0');
    }
    assert.equal(out.at(-3), `success rate 100.0% (${tasks} of ${tasks} runs)`);
    console.log(`      starter suite: ${tasks} tasks in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

  it('counts a task whose check fails as failed, and denies the approval a task asks for', async () => {
    const { code, report } = await runEval([SUITE, '--provider', 'replay']);
    assert.equal(code, 1, 'a failed run makes the exit code 1');
    const runs = byTask(report);
    const wrong = runs.get('wrong-fix')!;
    assert.equal(wrong.status, 'completed', 'the agent believed it was done');
    assert.equal(wrong.filesChanged, 1);
    assert.notEqual(wrong.check?.exitCode, 0);
    assert.match(wrong.check!.output, /AssertionError|Expected values/);
    assert.equal(wrong.success, false);
    const ci = runs.get('ask-ci')!;
    assert.deepEqual([ci.success, ci.approvalsAsked, ci.denials, ci.filesChanged], [true, 1, 1, 0], JSON.stringify(ci));
    assert.equal(runs.get('fix-median')!.success, true, explain(report));
    assert.deepEqual([report.aggregate.runs, report.aggregate.successes], [3, 2]);
    assert.equal(report.tasks.find((t) => t.id === 'wrong-fix')!.aggregate.successRate, 0);
  });

  it('runs a task through a loopback OpenAI-compatible server, prices it, and records the session as a replay', async () => {
    fake = await startOpenAIFake();
    // The person's policies allow their local model server (loopback needs net.connect and net.private), as for any task.
    const policies = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-eval-policies-'));
    fs.cpSync(path.join(assets().root, 'policies'), policies, { recursive: true });
    const host = new URL(fake.url).host;
    const rule = `{ id: local-model, effect: allow, subjects: ["agent:*"], actions: [net.connect, net.private], resources: ["${host}"] }`;
    fs.appendFileSync(path.join(policies, 'explore.yaml'), `\n  - ${rule}\n`);
    const before = process.env.AIRLOCK_POLICIES_DIR;
    process.env.AIRLOCK_POLICIES_DIR = policies;
    fake.enqueue(
      chatTurn({
        text: ['Reading the module.'],
        calls: [{ id: 'c1', name: 'fs__read', args: ['{"path":"src/stats.js"}'] }],
        usage: { input: 1000, output: 20 },
      }),
      chatTurn({
        calls: [
          {
            id: 'c2',
            name: 'fs__edit',
            args: [
              JSON.stringify({
                path: 'src/stats.js',
                oldText: 'const sorted = [...values].sort();',
                newText: 'const sorted = [...values].sort((a, b) => a - b);',
              }),
            ],
          },
        ],
        usage: { input: 1500, output: 40 },
      }),
      chatTurn({ text: ['Sorted numerically.'], usage: { input: 1800, output: 10 } }),
    );
    const rec = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-eval-rec-'));
    try {
      const { code, report } = await runEval(
        [
          SUITE,
          '--task',
          'fix-median',
          '--provider',
          'openai-compatible',
          '--base-url',
          `${fake.url}/v1`,
          '--model',
          'gpt-4o-mini',
          '--record',
          rec,
        ],
        { ...process.env, OPENAI_API_KEY: 'sk-eval-fake-0123456789' },
      );
      const run = report.runs[0]!;
      assert.equal(code, 0, explain(report));
      assert.deepEqual(
        [run.task, run.success, run.tokensIn, run.tokensOut, run.toolCalls, run.filesChanged],
        ['fix-median', true, 4300, 70, 2, 1],
      );
      // gpt-4o-mini is in the kernel's price table: $0.15 / $0.60 per million tokens.
      assert.ok(run.costUsd !== null && Math.abs(run.costUsd - (4300 * 0.15 + 70 * 0.6) / 1e6) < 1e-9, String(run.costUsd));
      assert.equal(report.provider, 'openai-compatible');
      assert.equal(fake.requests.length, 3);
      // The recording is a replay file: three turns with the same tool calls, ready to become the task's replay.jsonl.
      const file = path.join(rec, 'fix-median.jsonl');
      assert.equal(run.recorded, file);
      const turns = fs
        .readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => ReplayTurn.parse(JSON.parse(l)));
      assert.equal(turns.length, 3);
      const calls = turns.flatMap((t) => t.events.flatMap((e) => (e.type === 'tool-call-end' ? [e.name] : [])));
      assert.deepEqual(calls, ['fs.read', 'fs.edit']);
      // ... and replayed as the task's replay.jsonl it runs offline with the same result: a regression test.
      const suite = path.join(rec, 'suite');
      fs.cpSync(path.join(SUITE, 'fix-median'), path.join(suite, 'fix-median'), { recursive: true });
      fs.copyFileSync(file, path.join(suite, 'fix-median', 'replay.jsonl'));
      const replayed = await runEval([suite, '--provider', 'replay']);
      assert.equal(replayed.code, 0, explain(replayed.report));
      const again = replayed.report.runs[0]!;
      assert.deepEqual([again.success, again.tokensIn, again.toolCalls, again.filesChanged], [true, 4300, 2, 1]);
    } finally {
      if (before === undefined) delete process.env.AIRLOCK_POLICIES_DIR;
      else process.env.AIRLOCK_POLICIES_DIR = before;
      fs.rmSync(rec, { recursive: true, force: true });
      fs.rmSync(policies, { recursive: true, force: true });
    }
  });
});
