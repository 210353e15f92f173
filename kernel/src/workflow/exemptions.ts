// TDD exemptions (docs-only, config, generated files, a person's waiver) and the coverage-based tech-debt budget.
import picomatch from 'picomatch';
import { z } from 'zod';
import type { Actor, ExemptionKind, TransitionEvidence } from '../../../protocol/src/workflow';

/** Policy-controlled: the policy engine supplies this; the defaults below apply until it does. */
export const ExemptionPolicy = z.object({
  docs: z.array(z.string()).default(['**/*.md', '**/*.mdx', '**/*.txt', '**/*.rst', 'docs/**', 'LICENSE*']),
  config: z.array(z.string()).default(['**/*.json', '**/*.yaml', '**/*.yml', '**/*.toml', '**/.*rc', '**/.editorconfig', '**/.gitignore']),
  generated: z
    .array(z.string())
    .default(['**/dist/**', '**/build/**', '**/*.generated.*', '**/*.min.js', '**/package-lock.json', '**/*.lock']),
  /** Test files: a strict task may edit them before red (kernel/src/workflow/task-rules.ts). */
  tests: z
    .array(z.string())
    .default(['**/*.test.*', '**/*.spec.*', '**/*_test.*', '**/test_*.py', 'test/**', 'tests/**', '**/__tests__/**', 'spec/**']),
  /** Whether a person may waive test-first for one change (always with a reason). */
  allowWaiver: z.boolean().default(true),
});
export type ExemptionPolicy = z.infer<typeof ExemptionPolicy>;

export type ExemptionDecision = { ok: true; kind: ExemptionKind; reason: string } | { ok: false; reason: string };

export function decideExemption(policy: ExemptionPolicy, evidence: TransitionEvidence, actor: Actor): ExemptionDecision {
  if (evidence.waiver) {
    if (actor !== 'person') return { ok: false, reason: 'only a person can waive test-first; the agent asked for a waiver' };
    if (!policy.allowWaiver) return { ok: false, reason: 'the policy does not allow waivers' };
    return { ok: true, kind: 'waiver', reason: evidence.waiver.reason };
  }
  const files = evidence.changedFiles ?? [];
  if (!files.length) return { ok: false, reason: 'no changed files given: an exemption needs the list of files the change touches' };
  const kinds: Array<[ExemptionKind, string[]]> = [
    ['docs-only', policy.docs],
    ['config', policy.config],
    ['generated', policy.generated],
  ];
  for (const [kind, globs] of kinds) {
    const match = picomatch(globs, { dot: true });
    if (files.every((f) => match(f)))
      return {
        ok: true,
        kind,
        reason: `every changed file is ${kind === 'docs-only' ? 'documentation' : kind}: ${files.slice(0, 5).join(', ')}${files.length > 5 ? ', ...' : ''}`,
      };
  }
  const all = picomatch(
    kinds.flatMap(([, g]) => g),
    { dot: true },
  );
  const code = files.filter((f) => !all(f));
  return {
    ok: false,
    reason: `the change touches code that needs a test first: ${code.slice(0, 5).join(', ')}${code.length > 5 ? ', ...' : ''}`,
  };
}

export interface DebtState {
  usedPct: number;
}

export type DebtDecision =
  | { ok: true; usedPct: number; note: string }
  | { ok: false; reason: string; held: { before: number | null; after: number | null; dropPct: number | null; reason: string } };

/** A change may lower line coverage while the session's total drop stays within `limitPct`; beyond that it is held. */
export function decideDebt(limitPct: number | null, used: number, evidence: TransitionEvidence, actor: Actor): DebtDecision {
  if (limitPct === null) return { ok: true, usedPct: used, note: 'budget disabled by policy' };
  const cov = evidence.coverage;
  if (!cov) {
    return {
      ok: false,
      reason: 'coverage numbers (before/after) are required to merge',
      held: { before: null, after: null, dropPct: null, reason: 'no coverage numbers' },
    };
  }
  const drop = round(Math.max(0, cov.before - cov.after));
  const total = round(used + drop);
  if (total <= limitPct)
    return { ok: true, usedPct: total, note: `coverage ${cov.before}% -> ${cov.after}%, budget ${total}/${limitPct} points used` };
  if (evidence.acceptDebt && actor === 'person') {
    return {
      ok: true,
      usedPct: total,
      note: `a person accepted coverage ${cov.before}% -> ${cov.after}% beyond the budget (${total}/${limitPct} points)`,
    };
  }
  const reason = `coverage would drop ${drop} points (${cov.before}% -> ${cov.after}%); ${round(limitPct - used)} of the ${limitPct}-point budget is left`;
  return {
    ok: false,
    reason: `${reason}: held for review, a person may accept the debt`,
    held: { before: cov.before, after: cov.after, dropPct: drop, reason },
  };
}

const round = (n: number): number => Math.round(n * 1000) / 1000;
