// Compiles one validated rule into matchers (done once at load) and matches it against a normalised request.
import type { PolicyRule, RuleLimits, Subject } from '../../../protocol/src/policy';
import { KNOWN_ACTIONS, type ResourceKind, resourceKind } from './actions';
import { compileResourcePattern, compileSubjects, type ResourceMatcher, simpleGlob, type SubjectMatcher } from './glob';
import { parseDuration, parseSize } from './units';

export interface Limits {
  timeout_ms?: number;
  memory_bytes?: number;
  output_bytes?: number;
  pids?: number;
}

export interface CompiledRule {
  readonly id: string;
  readonly effect: 'allow' | 'ask' | 'deny';
  readonly rank: number;
  readonly builtin: boolean;
  readonly source: PolicyRule;
  readonly file: string;
  readonly index: number;
  readonly actions: readonly string[];
  readonly subjects: SubjectMatcher | null;
  /** Per resource kind: the rule's resource patterns (null = any resource) and its carve-outs. */
  readonly resources: Partial<Record<ResourceKind, ResourceMatcher[] | null>>;
  readonly except: Partial<Record<ResourceKind, ResourceMatcher[]>>;
  readonly modes: ReadonlySet<string> | null;
  readonly maxSize: number | undefined;
  /** `when.tests_passed_on_accepted`: the value the request's context must carry (unknown counts as false). */
  readonly testsPassed: boolean | undefined;
  readonly limits: Limits;
  readonly reason: string;
  readonly predicate: string | undefined;
  /** Evaluation stamp, so a rule reached through several index paths is judged once per evaluation. */
  stamp: number;
}

export const RANK = { allow: 0, ask: 1, deny: 2 } as const;

/** A problem found while compiling, located by its path inside the policy document. */
export class CompileProblem extends Error {
  constructor(
    readonly path: Array<string | number>,
    message: string,
  ) {
    super(message);
  }
}

export function compileLimits(l: RuleLimits | undefined, at: Array<string | number>): Limits {
  const out: Limits = {};
  if (!l) return out;
  const unit = (key: string, f: () => number) => {
    try {
      return f();
    } catch (e) {
      throw new CompileProblem([...at, key], (e as Error).message);
    }
  };
  if (l.timeout !== undefined) out.timeout_ms = unit('timeout', () => parseDuration(l.timeout!));
  if (l.memory !== undefined) out.memory_bytes = unit('memory', () => parseSize(l.memory!));
  if (l.output !== undefined) out.output_bytes = unit('output', () => parseSize(l.output!));
  if (l.pids !== undefined) out.pids = l.pids;
  return out;
}

export function expandActions(patterns: readonly string[], at: Array<string | number>): string[] {
  const out = new Set<string>();
  patterns.forEach((p, i) => {
    const re = simpleGlob(p);
    const hits = KNOWN_ACTIONS.filter((a) => re.test(a));
    if (!hits.length)
      throw new CompileProblem(
        [...at, i],
        `action pattern ${JSON.stringify(p)} matches no known action (known: ${KNOWN_ACTIONS.join(', ')})`,
      );
    hits.forEach((a) => out.add(a));
  });
  return [...out];
}

export function compileRule(
  rule: PolicyRule,
  file: string,
  index: number,
  opts: { workspace?: string; builtin?: boolean; resolvePredicate?: (p: string) => string },
): CompiledRule {
  const at: Array<string | number> = ['rules', index];
  if (!opts.builtin && rule.id.startsWith('builtin.'))
    throw new CompileProblem([...at, 'id'], `rule id ${rule.id} uses the reserved "builtin." prefix`);
  const actions = expandActions(rule.actions, [...at, 'actions']);
  let subjects: SubjectMatcher | null = null;
  try {
    if (rule.subjects) subjects = compileSubjects(rule.subjects);
  } catch (e) {
    throw new CompileProblem([...at, 'subjects'], (e as Error).message);
  }
  const kinds = new Set(actions.map((a) => resourceKind(a)!));
  const resources: CompiledRule['resources'] = {};
  const except: CompiledRule['except'] = {};
  const compileList = (kind: ResourceKind, list: readonly string[], key: string) =>
    list.map((p, i) => {
      try {
        return compileResourcePattern(kind, p, opts.workspace, !!opts.builtin);
      } catch (e) {
        throw new CompileProblem([...at, key, i], (e as Error).message);
      }
    });
  for (const kind of kinds) {
    resources[kind] = rule.resources ? compileList(kind, rule.resources, 'resources') : null;
    except[kind] = rule.except ? compileList(kind, rule.except, 'except') : [];
  }
  let maxSize: number | undefined;
  if (rule.when?.max_size !== undefined) {
    try {
      maxSize = parseSize(rule.when.max_size);
    } catch (e) {
      throw new CompileProblem([...at, 'when', 'max_size'], (e as Error).message);
    }
  }
  return {
    id: rule.id,
    effect: rule.effect,
    rank: RANK[rule.effect],
    builtin: !!opts.builtin,
    source: rule,
    file,
    index,
    actions,
    subjects,
    resources,
    except,
    modes: rule.when?.modes ? new Set(rule.when.modes) : null,
    maxSize,
    testsPassed: rule.when?.tests_passed_on_accepted,
    limits: compileLimits(rule.limits, [...at, 'limits']),
    reason: rule.reason ?? `rule ${rule.id}`,
    predicate: rule.predicate && opts.resolvePredicate ? opts.resolvePredicate(rule.predicate) : rule.predicate,
    stamp: 0,
  };
}

export interface MatchInput {
  subject: Subject;
  kind: ResourceKind;
  value: string;
  absolute: boolean;
  mode: string | undefined;
  size: number | undefined;
  /** context.tests_passed_on_accepted (patch.apply); undefined when the request does not know. */
  testsPassed?: boolean;
  /** The resource is unknown (any command): every resource pattern may match and no carve-out can be relied on. */
  any?: boolean;
}

/** Does the rule apply (ignoring its predicate)? `except` carves out of this rule only. */
export function ruleMatches(r: CompiledRule, m: MatchInput): boolean {
  if (r.subjects !== null && !r.subjects(m.subject)) return false;
  if (r.modes !== null && (m.mode === undefined || !r.modes.has(m.mode))) return false;
  if (r.maxSize !== undefined && (m.size === undefined || m.size > r.maxSize)) return false;
  // Fail closed: a merge whose verification is unknown has not passed, so a deny on `false` catches it.
  if (r.testsPassed !== undefined && (m.testsPassed ?? false) !== r.testsPassed) return false;
  const res = r.resources[m.kind];
  if (res === undefined) return false;
  if (m.any) return true;
  if (res !== null) {
    let hit = false;
    for (let i = 0; i < res.length; i++)
      if (res[i].test(m.value, m.absolute)) {
        hit = true;
        break;
      }
    if (!hit) return false;
  }
  const ex = r.except[m.kind]!;
  for (let i = 0; i < ex.length; i++) if (ex[i].test(m.value, m.absolute)) return false;
  return true;
}
