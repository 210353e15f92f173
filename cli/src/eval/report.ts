// results.json for an eval: per-task summaries and the suite's aggregate, validated; and the terminal table.
import { aggregate, EvalReport, type EvalRun } from '../../../protocol/src/eval';
import type { LoadedTask } from './suite';

export interface ReportMeta {
  suite: string;
  provider: string;
  model: string | null;
  mode: EvalReport['mode'];
  repeat: number;
  startedAt: Date;
  finishedAt: Date;
}

export function buildReport(tasks: readonly LoadedTask[], runs: readonly EvalRun[], m: ReportMeta): EvalReport {
  return EvalReport.parse({
    version: 1,
    suite: m.suite,
    provider: m.provider,
    model: m.model,
    mode: m.mode,
    repeat: m.repeat,
    startedAt: m.startedAt.toISOString(),
    finishedAt: m.finishedAt.toISOString(),
    tasks: tasks.map(({ task: t }) => ({
      id: t.id,
      title: t.title,
      language: t.language,
      kind: t.kind,
      expect: t.expect,
      aggregate: aggregate(runs.filter((r) => r.task === t.id)),
    })),
    runs,
    aggregate: aggregate(runs),
  });
}

export const formatCost = (c: number | null) => (c === null ? 'n/a' : `$${c.toFixed(4)}`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
/** Task text comes from suite files: control characters would let a title rewrite the terminal. */
const clean = (s: string) => s.replace(/[\x00-\x1f\x7f]/g, '?');

/** One row per task, then the total: what `airlock eval` prints when it is done. */
export function formatTable(r: EvalReport): string[] {
  const head = ['task', 'ok', 'tokens in/out', 'cost', 'wall', 'tools', 'denied', 'asked'];
  const rows = r.tasks.map((t) => {
    const a = t.aggregate;
    const ok = r.repeat === 1 ? (a.successes ? 'yes' : 'NO') : `${a.successes}/${a.runs}`;
    return [
      clean(t.id),
      ok,
      `${a.tokensIn}/${a.tokensOut}`,
      formatCost(a.costUsd),
      seconds(a.meanWallMs),
      String(a.toolCalls),
      String(a.denials),
      String(a.approvalsAsked),
    ];
  });
  const a = r.aggregate;
  rows.push([
    `total (${r.tasks.length} tasks)`,
    `${a.successes}/${a.runs}`,
    `${a.tokensIn}/${a.tokensOut}`,
    formatCost(a.costUsd),
    seconds(a.meanWallMs),
    String(a.toolCalls),
    String(a.denials),
    String(a.approvalsAsked),
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ');
  return [
    line(head),
    ...rows.slice(0, -1).map(line),
    line(width.map((w) => '-'.repeat(w))),
    line(rows[rows.length - 1]!),
    `success rate ${(a.successRate * 100).toFixed(1)}% (${a.successes} of ${a.runs} runs)`,
  ];
}
