// report.html for an eval: self-contained (no external assets, no script), an inline SVG bar chart per metric, a run table.
import type { EvalAggregate, EvalReport } from '../../../protocol/src/eval';
import { formatCost } from './report';

/** Everything from the suite or the model (titles, ids, messages, check output) goes through this. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

interface Metric {
  title: string;
  value: (a: EvalAggregate) => number | null;
  label: (v: number) => string;
}

export const METRICS: Metric[] = [
  { title: 'Success rate', value: (a) => a.successRate, label: (v) => `${(v * 100).toFixed(0)}%` },
  { title: 'Tokens (in + out)', value: (a) => a.tokensIn + a.tokensOut, label: (v) => v.toLocaleString('en-US') },
  { title: 'Cost (USD)', value: (a) => a.costUsd, label: (v) => `$${v.toFixed(4)}` },
  { title: 'Wall time per run (s)', value: (a) => a.meanWallMs / 1000, label: (v) => v.toFixed(1) },
  { title: 'Tool calls', value: (a) => a.toolCalls, label: (v) => String(v) },
  { title: 'Denials', value: (a) => a.denials, label: (v) => String(v) },
  { title: 'Approvals asked', value: (a) => a.approvalsAsked, label: (v) => String(v) },
];

const ROW = 22;
const LABEL_W = 220;
const BAR_W = 360;

/** One horizontal bar per task; a task whose value is unknown (cost without a price) shows "n/a" and no bar. */
export function barChart(m: Metric, rows: Array<{ label: string; a: EvalAggregate }>): string {
  const values = rows.map((r) => m.value(r.a));
  const max = Math.max(0, ...values.map((v) => v ?? 0)) || 1;
  const h = rows.length * ROW + 8;
  const bars = rows
    .map((r, i) => {
      const v = values[i];
      const y = i * ROW + 4;
      const w = v === null ? 0 : Math.max(v > 0 ? 1 : 0, Math.round((v / max) * BAR_W));
      return (
        `<text x="${LABEL_W - 6}" y="${y + 15}" text-anchor="end">${escapeHtml(r.label)}</text>` +
        `<rect x="${LABEL_W}" y="${y + 3}" width="${w}" height="${ROW - 6}" class="bar"/>` +
        `<text x="${LABEL_W + w + 6}" y="${y + 15}">${escapeHtml(v === null ? 'n/a' : m.label(v))}</text>`
      );
    })
    .join('');
  return (
    `<figure><figcaption>${escapeHtml(m.title)}</figcaption>` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${LABEL_W + BAR_W + 90}" height="${h}" role="img"` +
    ` aria-label="${escapeHtml(m.title)}">${bars}</svg></figure>`
  );
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}td.n{text-align:right}.ok{color:#176f2c}.bad{color:#b00020}
svg text{font:12px system-ui,sans-serif;fill:#222}.bar{fill:#3b6ea8}figure{margin:1.5em 0}figcaption{font-weight:600;margin-bottom:.3em}
pre{white-space:pre-wrap;max-width:60em;margin:0;font-size:12px}details summary{cursor:pointer}`;

export function renderHtml(r: EvalReport): string {
  const e = escapeHtml;
  const a = r.aggregate;
  const rows = r.tasks.map((t) => ({ label: t.id, a: t.aggregate }));
  const taskRows = r.tasks
    .map(
      (t) =>
        `<tr><td>${e(t.id)}</td><td>${e(t.title)}</td><td>${e(t.language)}</td><td>${e(t.kind)}</td>` +
        `<td>${e(t.expect)}</td><td class="n ${t.aggregate.successes === t.aggregate.runs ? 'ok' : 'bad'}">` +
        `${t.aggregate.successes}/${t.aggregate.runs}</td></tr>`,
    )
    .join('\n');
  const runRows = r.runs
    .map(
      (x) =>
        `<tr><td>${e(x.task)}</td><td class="n">${x.attempt}</td>` +
        `<td class="${x.success ? 'ok' : 'bad'}">${x.success ? 'success' : 'failed'}</td>` +
        `<td>${e(x.status)}</td><td class="n">${x.check ? e(x.check.timedOut ? 'timeout' : String(x.check.exitCode)) : '-'}</td>` +
        `<td class="n">${x.tokensIn}/${x.tokensOut}</td><td class="n">${e(formatCost(x.costUsd))}</td>` +
        `<td class="n">${(x.wallMs / 1000).toFixed(1)}</td>` +
        [x.toolCalls, x.denials, x.approvalsAsked, x.filesChanged].map((n) => `<td class="n">${n}</td>`).join('') +
        `<td><details><summary>${e(x.message.split('\n')[0]!.slice(0, 80) || '(no message)')}</summary><pre>${e(x.message)}</pre>` +
        `${x.check ? `<p>check output:</p><pre>${e(x.check.output)}</pre>` : ''}</details></td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Airlock eval: ${e(r.suite)}</title><style>${STYLE}</style></head>
<body>
<h1>Airlock eval: ${e(r.suite)}</h1>
<p>Provider ${e(r.provider)}${r.model ? `, model ${e(r.model)}` : ''}${r.mode ? `, ${e(r.mode)} mode` : ''}; ${r.repeat} run(s) per task;
${e(r.startedAt)} to ${e(r.finishedAt)}.</p>
<p><strong>Success rate ${(a.successRate * 100).toFixed(1)}%</strong> (${a.successes} of ${a.runs} runs);
tokens ${a.tokensIn} in / ${a.tokensOut} out; cost ${e(formatCost(a.costUsd))}; wall time ${(a.wallMs / 1000).toFixed(1)} s;
${a.toolCalls} tool calls, ${a.denials} denials, ${a.approvalsAsked} approvals asked (answered as each task says, by default deny).</p>
<h2>Tasks</h2>
<table><tr><th>id</th><th>title</th><th>language</th><th>kind</th><th>expect</th><th>success</th></tr>
${taskRows}
</table>
<h2>Per metric</h2>
${METRICS.map((m) => barChart(m, rows)).join('\n')}
<h2>Runs</h2>
<table><tr><th>task</th><th>#</th><th>result</th><th>status</th><th>check exit</th><th>tokens in/out</th><th>cost</th><th>wall (s)</th>
<th>tools</th><th>denied</th><th>asked</th><th>files</th><th>message</th></tr>
${runRows}
</table>
</body></html>
`;
}
