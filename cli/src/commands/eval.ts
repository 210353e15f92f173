// `airlock eval SUITE`: runs a suite of coding tasks through the normal kernel and reports success, tokens, cost and time.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { EvalRun } from '../../../protocol/src/eval';
import { AirlockError } from '../../../protocol/src/errors';
import type { CliIO, Command } from '../command';
import { buildReport, formatTable } from '../eval/report';
import { renderHtml } from '../eval/report-html';
import { EvalKernel, runEvalTask, type RunTaskOptions } from '../eval/run-task';
import { type LoadedTask, loadSuite } from '../eval/suite';
import { parseRunOptions } from '../run/options';

const USAGE = `airlock eval SUITE [--provider NAME] [--model NAME] [--base-url URL] [--mode strict|explore|debug]
                   [--repeat N] [--task ID ...] [--out DIR] [--record DIR] [--keep] [--verbose]
  SUITE: a folder of task folders (task.yaml, task.md, repo/); the starter suite is examples/eval/starter
  each run: a fresh git copy of repo/ in a temporary workspace served by one kernel for the suite, the task as
  \`airlock run\` runs it, every hunk accepted and merged on the host, then the task's hidden check in a code-executor
  sandbox on the merged result (docs/eval.md)
  --provider replay: each task's replay.jsonl (offline); approvals asked are denied unless the task says \`approvals: allow\`
  --out DIR: where results.json and report.html go (default eval-results/<suite>-<time>)
  --record DIR: saves each run's model session as DIR/<task>.jsonl (DIR/<task>.<n>.jsonl with --repeat), a replay file
  --keep: keep the temporary workspace and the kernel's state (audit log) after the run
  exit codes: 0 every run succeeded; 1 some run failed; 2 usage or error`;

export const evalCommand: Command = {
  name: 'eval',
  summary: 'run a suite of coding tasks through the kernel and report success rate, tokens, cost and time',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        provider: { type: 'string' },
        model: { type: 'string' },
        'base-url': { type: 'string' },
        mode: { type: 'string' },
        repeat: { type: 'string' },
        task: { type: 'string', multiple: true },
        out: { type: 'string' },
        record: { type: 'string' },
        verbose: { type: 'boolean', short: 'v' },
        keep: { type: 'boolean' },
      },
    });
    if (positionals.length !== 1) throw new AirlockError('CLI_USAGE', 'airlock eval needs one suite folder', USAGE);
    const repeat = values.repeat === undefined ? 1 : Number(values.repeat);
    if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100) {
      throw new AirlockError('CLI_USAGE', `--repeat must be a whole number from 1 to 100, got ${JSON.stringify(values.repeat)}`, USAGE);
    }
    const suiteDir = path.resolve(io.cwd, positionals[0]!);
    const tasks = loadSuite(suiteDir, values.task ?? []);
    // The provider, model and mode resolve as for `airlock run` (flags over configuration), from where eval is started.
    const flags = [
      ['--provider', values.provider],
      ['--model', values.model],
      ['--base-url', values['base-url']],
      ['--mode', values.mode],
    ].flatMap(([k, v]) => (v === undefined ? [] : [k!, v]));
    const base = parseRunOptions(flags, io.cwd, USAGE, io.env);
    for (const w of base.warnings) io.err(`warning: ${w}`);
    const provider = base.provider ?? 'replay';
    const startedAt = new Date();
    const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
    const out = path.resolve(io.cwd, values.out ?? path.join('eval-results', `${path.basename(suiteDir)}-${stamp}`));
    const recordDir = values.record === undefined ? undefined : path.resolve(io.cwd, values.record);
    fs.mkdirSync(out, { recursive: true });
    if (recordDir) fs.mkdirSync(recordDir, { recursive: true });
    const elapsed = () => ((Date.now() - startedAt.getTime()) / 1000).toFixed(1);
    const log = values.verbose ? (l: string) => io.err(`  [${elapsed()}s] ${l}`) : () => undefined;
    const kernel = await EvalKernel.start(log);
    let runs: EvalRun[];
    try {
      runs = await runAll(tasks, kernel, io, {
        base: { ...base, provider },
        repeat,
        recordDir,
        log,
        verbose: !!values.verbose,
        modeOverride: values.mode === undefined ? undefined : base.mode,
      });
    } finally {
      await kernel.dispose(!!values.keep);
    }
    const report = buildReport(tasks, runs, {
      suite: path.basename(suiteDir),
      provider,
      model: base.model ?? null,
      mode: values.mode === undefined ? null : (base.mode ?? null),
      repeat,
      startedAt,
      finishedAt: new Date(),
    });
    fs.writeFileSync(path.join(out, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
    fs.writeFileSync(path.join(out, 'report.html'), renderHtml(report));
    for (const l of formatTable(report)) io.out(l);
    io.out(`results: ${path.join(out, 'results.json')}`);
    io.out(`report:  ${path.join(out, 'report.html')}`);
    return report.aggregate.successes === report.aggregate.runs ? 0 : 1;
  },
};

interface RunAllOptions extends Omit<RunTaskOptions, 'attempt' | 'recordTo'> {
  repeat: number;
  recordDir?: string;
  verbose: boolean;
}

/** Every task, `repeat` times each, one after another (they share the kernel and its workspace folder). */
async function runAll(tasks: LoadedTask[], kernel: EvalKernel, io: CliIO, o: RunAllOptions): Promise<EvalRun[]> {
  const runs: EvalRun[] = [];
  for (const t of tasks) {
    for (let n = 1; n <= o.repeat; n++) {
      io.err(`airlock: eval ${t.task.id}${o.repeat > 1 ? ` (${n}/${o.repeat})` : ''}: ${t.task.title.replace(/[\x00-\x1f\x7f]/g, '?')}`);
      const recordTo = o.recordDir ? path.join(o.recordDir, `${t.task.id}${o.repeat > 1 ? `.${n}` : ''}.jsonl`) : undefined;
      if (recordTo) fs.rmSync(recordTo, { force: true });
      const r = await runEvalTask(t, kernel, io, { ...o, attempt: n, recordTo });
      runs.push(r);
      const check = r.check ? `, check exit ${r.check.timedOut ? 'timeout' : r.check.exitCode}` : '';
      io.err(`airlock: eval ${t.task.id}: ${r.success ? 'success' : 'FAILED'} (${r.status}${check}, ${(r.wallMs / 1000).toFixed(1)} s)`);
      if (!r.success && o.verbose) io.err(`  ${r.message.split('\n')[0]}`);
    }
  }
  return runs;
}
