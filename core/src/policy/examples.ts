// Checks every rule's examples at load: `match` requests must match the rule, `not_match` requests must not.
import type { ExampleRequest, PolicyRequest } from '../../../protocol/src/policy';
import type { CompiledPolicy, LoadedFile, PolicyProblem } from './loader';
import { prepareRequest } from './request';
import { type CompiledRule, ruleMatches } from './rules';

export function exampleToRequest(e: ExampleRequest): PolicyRequest {
  let subject: PolicyRequest['subject'] = { kind: 'agent', id: 'example', tags: [] };
  if (typeof e.subject === 'string') {
    const colon = e.subject.indexOf(':');
    subject = { kind: e.subject.slice(0, colon) as PolicyRequest['subject']['kind'], id: e.subject.slice(colon + 1), tags: [] };
  } else if (e.subject) subject = e.subject;
  return { subject, action: e.action, resource: e.resource, context: e.context ?? {} };
}

/** Whether the rule matches the request (predicates are not run for examples). */
export function ruleMatchesRequest(rule: CompiledRule, req: PolicyRequest, workspace?: string, defaultMode?: string): boolean | string {
  if (!rule.actions.includes(req.action)) return false;
  const prep = prepareRequest(req, workspace);
  if (!prep.ok) return prep.reason;
  return prep.items.some(
    (item) =>
      !item.shadow &&
      ruleMatches(rule, {
        subject: req.subject,
        kind: prep.kind,
        value: item.value,
        absolute: item.absolute,
        mode: req.context.mode ?? defaultMode,
        size: req.context.size,
        testsPassed: req.context.tests_passed_on_accepted,
      }),
  );
}

export function checkExamples(pol: CompiledPolicy, files: readonly LoadedFile[], workspace?: string): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const byId = new Map(pol.rules.map((r) => [r.id, r]));
  for (const f of files) {
    f.policy.rules.forEach((rule, i) => {
      const compiled = byId.get(rule.id);
      if (!compiled || !rule.examples) return;
      for (const want of ['match', 'not_match'] as const) {
        (rule.examples[want] ?? []).forEach((ex, k) => {
          const got = ruleMatchesRequest(compiled, exampleToRequest(ex), workspace);
          const ok = want === 'match' ? got === true : got !== true;
          if (ok) return;
          const why = typeof got === 'string' ? ` (${got})` : '';
          problems.push({
            file: f.file,
            ...f.locate(['rules', i, 'examples', want, k]),
            message: `rule ${rule.id}: example ${want}[${k}] ${ex.action} ${JSON.stringify(ex.resource)} ${want === 'match' ? 'does not match' : 'matches'}${why}`,
          });
        });
      }
    });
  }
  return problems;
}
