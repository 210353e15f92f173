// Reads policy YAML with positions, validates it with zod, compiles rules; every problem is file:line:column.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { AirlockError } from '../../../protocol/src/errors';
import { PolicyFile, type PolicyRule } from '../../../protocol/src/policy';
import { type BuiltinOptions, builtinRules } from './builtins';
import { RuleIndex } from './rule-index';
import { compileLimits, compileRule, type CompiledRule, CompileProblem, type Limits } from './rules';
import { POLICY_INVALID } from './units';

export interface PolicyProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export function formatProblem(p: PolicyProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}

/** A policy that cannot be used: `invalid` (syntax, schema, units, patterns) or `examples` (an example disagrees). */
export class PolicyLoadError extends AirlockError {
  constructor(
    readonly kind: 'invalid' | 'examples',
    readonly problems: PolicyProblem[],
  ) {
    super(
      kind === 'invalid' ? POLICY_INVALID : 'POLICY_EXAMPLE_FAILED',
      problems.map(formatProblem).join('\n'),
      kind === 'invalid'
        ? 'fix the policy file at the position shown; the last good policy stays in force'
        : 'fix the rule or the example; the last good policy stays in force',
      { problems },
    );
  }
}

export interface LoadedFile {
  file: string;
  policy: PolicyFile;
  locate(at: ReadonlyArray<string | number>): { line: number; col: number };
}

export function parsePolicyText(text: string, file: string): LoadedFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const problems: PolicyProblem[] = doc.errors.map((e) => {
    const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
    return { file, line: pos.line, col: pos.col, message: e.message.split('\n')[0] };
  });
  if (problems.length) throw new PolicyLoadError('invalid', problems);
  const locate = locator(doc, lc);
  const parsed = PolicyFile.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (!parsed.success) {
    throw new PolicyLoadError(
      'invalid',
      parsed.error.issues.map((i) => {
        const at = i.path.filter((k): k is string | number => typeof k !== 'symbol');
        const where = at.length ? ` (at ${at.join('.')})` : '';
        return { file, ...locate(at), message: i.message + where };
      }),
    );
  }
  return { file, policy: parsed.data, locate };
}

function locator(doc: Document, lc: LineCounter) {
  return (at: ReadonlyArray<string | number>): { line: number; col: number } => {
    // Walk up from the full path until a node exists (a missing key is reported at its parent).
    for (let n = at.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(at.slice(0, n), true);
      if (isNode(node) && node.range) return lc.linePos(node.range[0]);
    }
    return { line: 1, col: 1 };
  };
}

export function readPolicyFile(file: string): LoadedFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new PolicyLoadError('invalid', [
      { file, line: 1, col: 1, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` },
    ]);
  }
  return parsePolicyText(text, file);
}

export interface CompiledPolicy {
  readonly rules: readonly CompiledRule[];
  readonly index: RuleIndex;
  /** Ceilings from every file's `defaults` (tightest wins). */
  readonly defaults: Limits;
  readonly files: readonly string[];
}

export interface CompileOptions extends BuiltinOptions {
  workspace?: string;
}

export function compilePolicy(files: readonly LoadedFile[], opts: CompileOptions = {}): CompiledPolicy {
  const problems: PolicyProblem[] = [];
  const rules: CompiledRule[] = builtinRules(opts).map((r, i) =>
    compileRule(r, '<builtin>', i, { builtin: true, workspace: opts.workspace }),
  );
  const seen = new Map<string, string>();
  const defaults: Limits = {};
  for (const f of files) {
    const fail = (at: Array<string | number>, message: string) => problems.push({ file: f.file, ...f.locate(at), message });
    try {
      tighten(defaults, compileLimits(f.policy.defaults, ['defaults']));
    } catch (e) {
      if (e instanceof CompileProblem) fail(e.path, e.message);
      else throw e;
    }
    const dir = path.dirname(path.resolve(f.file));
    f.policy.rules.forEach((rule: PolicyRule, i) => {
      const prev = seen.get(rule.id);
      if (prev) return fail(['rules', i, 'id'], `duplicate rule id ${rule.id} (first defined in ${prev})`);
      seen.set(rule.id, f.file);
      try {
        rules.push(compileRule(rule, f.file, i, { workspace: opts.workspace, resolvePredicate: (p) => path.resolve(dir, p) }));
      } catch (e) {
        if (e instanceof CompileProblem) fail(e.path, e.message);
        else throw e;
      }
      if (rule.predicate && !fs.existsSync(path.resolve(dir, rule.predicate)))
        fail(['rules', i, 'predicate'], `predicate module ${rule.predicate} does not exist`);
    });
  }
  if (problems.length) throw new PolicyLoadError('invalid', problems);
  return { rules, index: new RuleIndex(rules), defaults, files: files.map((f) => f.file) };
}

/** Keeps the smaller value of every limit in `into`. */
export function tighten(into: Limits, from: Limits): void {
  // Written out (no loop over keys): this runs for every matched rule of every decision.
  if (from.timeout_ms !== undefined && !(into.timeout_ms! <= from.timeout_ms)) into.timeout_ms = from.timeout_ms;
  if (from.memory_bytes !== undefined && !(into.memory_bytes! <= from.memory_bytes)) into.memory_bytes = from.memory_bytes;
  if (from.output_bytes !== undefined && !(into.output_bytes! <= from.output_bytes)) into.output_bytes = from.output_bytes;
  if (from.pids !== undefined && !(into.pids! <= from.pids)) into.pids = from.pids;
}
