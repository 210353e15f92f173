// Plain-language verification state and the filter form's parsing for the Audit Log view (pure, unit-tested).
import { AuditFilter, type AuditStats, type AuditVerifyReport } from '../../../protocol/src/audit';
import { escapeHtml } from '../shared/escape';

export const FILTER_FIELDS = [
  { name: 'session', label: 'Session', placeholder: 'session' },
  { name: 'action', label: 'Action (exact, or prefix ending in . or *)', placeholder: 'action, e.g. patch.*' },
  { name: 'decision', label: 'Decision', placeholder: 'decision: allow/deny/ask…' },
  { name: 'subject', label: 'Subject', placeholder: 'subject' },
  { name: 'resource', label: 'Resource contains', placeholder: 'resource contains' },
  { name: 'since', label: 'Since (date/time)', placeholder: 'since, e.g. 2025-01-31 12:00' },
  { name: 'until', label: 'Until (date/time)', placeholder: 'until' },
] as const;

export function parseFilterForm(
  values: Record<string, string | undefined>,
): { ok: true; filter: AuditFilter } | { ok: false; error: string } {
  const raw: Record<string, unknown> = {};
  for (const f of FILTER_FIELDS) {
    const v = values[f.name]?.trim();
    if (!v) continue;
    if (f.name === 'since' || f.name === 'until') {
      const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v.includes('T') || !v.includes(' ') ? v : v.replace(' ', 'T'));
      if (!Number.isFinite(t)) return { ok: false, error: `${f.label}: "${v}" is not a date (try 2025-01-31 or 2025-01-31 12:00)` };
      raw[f.name] = t;
    } else raw[f.name] = v;
  }
  const r = AuditFilter.safeParse(raw);
  if (!r.success) return { ok: false, error: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  if (r.data.since !== undefined && r.data.until !== undefined && r.data.since > r.data.until)
    return { ok: false, error: 'Since is after Until' };
  return { ok: true, filter: r.data };
}

/** HTML (escaped) saying plainly whether the chain is intact. */
export function describeVerification(
  report: AuditVerifyReport | null,
  running: boolean,
  stats: Pick<AuditStats, 'entries'> | null,
): string {
  if (running) return '<vscode-progress-ring aria-hidden="true"></vscode-progress-ring> <span>Verifying the whole chain…</span>';
  if (!report)
    return `<span class="state unknown">Not verified yet${stats ? ` — ${stats.entries.toLocaleString('en-US')} entries` : ''}.</span>`;
  switch (report.type) {
    case 'intact':
      return `<span class="state intact">✔ Intact:</span> ${report.entries.toLocaleString('en-US')} entries (#${report.firstSeq}–#${report.lastSeq}) match the signed head <code title="${report.headHash}">${report.headHash.slice(0, 12)}…</code>, checked in ${Math.round(report.ms)} ms${report.recovered ? ' (an interrupted write was recovered)' : ''}.`;
    case 'tampered':
      return `<span class="state tampered">✖ Tampered:</span> ${report.seq !== undefined ? `entry #${report.seq} ` : ''}failed (${escapeHtml(report.reason)}): ${escapeHtml(report.message)}. The kernel refuses new sessions until this is resolved.`;
    case 'unusable':
      return `<span class="state tampered">✖ Cannot verify:</span> ${escapeHtml(report.code)}: ${escapeHtml(report.message)}${report.hint ? ` — ${escapeHtml(report.hint)}` : ''}`;
    default: {
      const never: never = report;
      return never;
    }
  }
}
