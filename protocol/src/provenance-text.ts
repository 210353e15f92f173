// A line's provenance as text for a person (the CLI's `audit blame FILE:LINE` and VS Code's Show Provenance).
import type { Provenance } from './provenance';

const short = (h: string) => h.replace(/^sha256:/, '').slice(0, 12);

/** The whole chain of one line, for a person. */
export function describeProvenance(p: Provenance): string[] {
  const out = [`${p.path}:${p.line}  ${p.text ?? ''}`];
  if (p.origin === 'workspace' || !p.merge || !p.hunk)
    return [...out, '  origin: workspace (no Airlock merge wrote this line)', ...p.trail.map((t) => `  trail: ${t}`)];
  const { merge: m, hunk: h } = p;
  const l = h.links;
  out.push(`  patch set ${m.setId}, merge ${m.mergeId} at ${new Date(m.at).toISOString()} (audit #${m.audit.seq} ${short(m.audit.hash)})`);
  out.push(`  hunk ${h.hunkId} (lines ${h.startLine}-${h.endLine} after the merge, content ${short(h.hunkDigest)})`);
  if (l?.decision)
    out.push(
      `  decision: ${l.decision.decision} by ${l.decision.subject} at ${new Date(l.decision.at).toISOString()} (audit #${l.decision.audit.seq})`,
    );
  const v = p.verification;
  out.push(
    `  verified before merge: ${!v ? 'no' : `${v.outcome}${v.ofMergedTree ? ' on the merged tree' : ' (of another tree)'} ${short(v.treeDigest)}${v.failing.length ? `; failing: ${v.failing.join('; ')}` : ''}`}`,
  );
  if (l?.task)
    out.push(`  task ${l.task.taskId}: ${l.task.provider ?? '?'} / ${l.task.model ?? '?'}${l.task.mode ? ` (${l.task.mode})` : ''}`);
  if (l?.sandbox) out.push(`  sandbox ${l.sandbox.sandboxId}${l.sandbox.template ? ` (${l.sandbox.template})` : ''}`);
  for (const c of l?.toolCalls ?? [])
    out.push(`  tool call ${c.callId} ${c.tool}${c.turn !== undefined ? ` in model turn ${c.turn}` : ''} (audit #${c.audit.seq})`);
  return [...out, ...p.trail.map((t) => `  trail: ${t}`)];
}
