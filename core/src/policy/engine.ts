// The policy engine: default deny, strictest matching rule wins, built-ins first-class, tokens turn ask into allow.
import { Emitter, type Event, type IDisposable } from '../../../protocol/src/lifecycle';
import type { Decision, PolicyRequest, Subject } from '../../../protocol/src/policy';
import { type PredicateOptions, type PredicateResult, runPredicate, runPredicateSync } from './deno';
import { checkExamples } from './examples';
import {
  type CompileOptions,
  type CompiledPolicy,
  compilePolicy,
  type LoadedFile,
  PolicyLoadError,
  readPolicyFile,
  tighten,
} from './loader';
import { type Item, prepareRequest, type Prepared } from './request';
import { type CompiledRule, type Limits, type MatchInput, ruleMatches } from './rules';
import type { TokenCheck, TokenService } from './tokens';

export const HARD_LIMITS = { timeout_ms: 10 * 60_000, memory_bytes: 2 * 1024 ** 3 } as const;
const EFFECTS = ['allow', 'ask', 'deny'] as const;

export interface PolicyChange {
  files: readonly string[];
  rules: number;
}

export interface IPolicyEngine extends IDisposable {
  /** Synchronous decision (runs Deno predicates blocking, only when a rule naming one is reached). `walked`: the path
   * was found by a walk of the workspace that follows no symlink, so it is judged as written, without resolving it
   * on disk (a walk asks about every file; resolving each would cost a realpath per component). */
  evaluate(request: PolicyRequest, opts?: { walked?: boolean }): Decision;
  /** Same decision; predicates run without blocking the event loop. */
  evaluateAsync(request: PolicyRequest, signal?: AbortSignal): Promise<Decision>;
  /** Loads and swaps in a policy; on any problem throws PolicyLoadError and keeps the last good policy. */
  load(paths: readonly string[]): void;
  reload(): void;
  readonly files: readonly string[];
  readonly ruleCount: number;
  /** Whether some rule could allow `action` for this subject in this mode, resources unjudged ("does the policy grant
   * any host?"). Only a hint for what to prepare (an egress route): every request is still judged in full. */
  allowsAny(action: string, subject: Subject, mode?: string): boolean;
  readonly lastError: PolicyLoadError | undefined;
  readonly onDidChange: Event<PolicyChange>;
  readonly onDidFailLoad: Event<PolicyLoadError>;
}

export interface PolicyEngineOptions extends CompileOptions {
  /** Mode used when a request does not name one. */
  mode?: string;
  tokens?: TokenService;
  predicates?: PredicateOptions;
}

type Pending = Array<{ rule: CompiledRule; item: Item; key: string }>;
interface Judged {
  rank: number;
  matched: CompiledRule[];
  reason: string;
  limits: Limits;
}

export class PolicyEngine implements IPolicyEngine {
  private policy: CompiledPolicy;
  private paths: readonly string[] = [];
  private stampSeq = 0;
  private readonly scratch: CompiledRule[][] = [];
  private _lastError: PolicyLoadError | undefined;
  private readonly _onDidChange = new Emitter<PolicyChange>();
  private readonly _onDidFailLoad = new Emitter<PolicyLoadError>();
  readonly onDidChange = this._onDidChange.event;
  readonly onDidFailLoad = this._onDidFailLoad.event;

  constructor(private readonly opts: PolicyEngineOptions = {}) {
    this.policy = compilePolicy([], opts); // built-ins only: everything else is denied until a policy loads
  }

  get files(): readonly string[] {
    return this.policy.files;
  }
  get lastError(): PolicyLoadError | undefined {
    return this._lastError;
  }
  get ruleCount(): number {
    return this.policy.rules.length;
  }

  allowsAny(action: string, subject: Subject, mode?: string): boolean {
    const m = mode ?? this.opts.mode;
    return this.policy.rules.some(
      (r) =>
        r.effect === 'allow' &&
        r.actions.includes(action) &&
        (r.subjects === null || r.subjects(subject)) &&
        (r.modes === null || (m !== undefined && r.modes.has(m))),
    );
  }

  load(paths: readonly string[]): void {
    this.loadParsed(() => paths.map(readPolicyFile));
    this.paths = [...paths]; // only after a successful load: reload() re-reads what is in force
  }

  /** Loads already-parsed files (e.g. from text); same all-or-nothing swap as load(). */
  loadParsed(read: () => readonly LoadedFile[]): void {
    try {
      const files = read();
      const compiled = compilePolicy(files, this.opts);
      const failures = checkExamples(compiled, files, this.opts.workspace);
      if (failures.length) throw new PolicyLoadError('examples', failures);
      this.policy = compiled;
      this._lastError = undefined;
      this._onDidChange.fire({ files: compiled.files, rules: compiled.rules.length });
    } catch (e) {
      if (e instanceof PolicyLoadError) {
        this._lastError = e;
        this._onDidFailLoad.fire(e);
      }
      throw e;
    }
  }

  reload(): void {
    this.load(this.paths);
  }

  evaluate(req: PolicyRequest, opts?: { walked?: boolean }): Decision {
    const first = this.begin(req, opts?.walked);
    if (!('pending' in first)) return first;
    const { prep, pol, pending } = first;
    let j = first.judged;
    if (pending.length) {
      const results = new Map<string, PredicateResult>();
      for (const p of pending) results.set(p.key, runPredicateSync(p.rule.predicate!, predicateRequest(req, p.item), this.opts.predicates));
      j = this.judge(req, prep, pol, results, null);
    }
    return this.finish(req, prep, j);
  }

  async evaluateAsync(req: PolicyRequest, signal?: AbortSignal): Promise<Decision> {
    const first = this.begin(req);
    if (!('pending' in first)) return first;
    const { prep, pol, pending } = first;
    let j = first.judged;
    if (pending.length) {
      const answers = await Promise.all(
        pending.map((p) => runPredicate(p.rule.predicate!, predicateRequest(req, p.item), this.opts.predicates, signal)),
      );
      j = this.judge(req, prep, pol, new Map(pending.map((p, i) => [p.key, answers[i]])), null);
    }
    return this.finish(req, prep, j);
  }

  /** First pass: normalise, then judge without predicates, collecting the predicates that must run. */
  private begin(
    req: PolicyRequest,
    walked = false,
  ): Decision | { prep: Extract<Prepared, { ok: true }>; pol: CompiledPolicy; pending: Pending; judged: Judged } {
    const pol = this.policy;
    const prep = prepareRequest(req, walked && !req.resource.startsWith('/') ? undefined : this.opts.workspace);
    if (!prep.ok) return early(prep.reason);
    const pending: Pending = [];
    return { prep, pol, pending, judged: this.judge(req, prep, pol, null, pending) };
  }

  /** Finds every matching rule for every sub-resource; the strictest effect wins, no match is a deny. */
  private judge(
    req: PolicyRequest,
    prep: Extract<Prepared, { ok: true }>,
    pol: CompiledPolicy,
    predicates: Map<string, PredicateResult> | null,
    pending: Pending | null,
  ): Judged {
    const ctx = req.context ?? {};
    const matched: CompiledRule[] = [];
    let rank = -1;
    let reason = '';
    let best: CompiledRule | undefined;
    let failure: string | undefined;
    for (const item of prep.items) {
      const stamp = ++this.stampSeq;
      const input: MatchInput = {
        subject: req.subject,
        kind: prep.kind,
        value: item.value,
        absolute: item.absolute,
        mode: ctx.mode ?? this.opts.mode,
        size: ctx.size,
        testsPassed: ctx.tests_passed_on_accepted,
        any: item.any,
      };
      let itemRank = -1;
      const lists = this.scratch;
      lists.length = 0;
      if (item.any) pol.index.collectAll(req.action, lists);
      // A reading (`rm x` of `nice -n 5 rm x`) counts the rules that name its command; catch-alls judge the command itself.
      else pol.index.collect(req.action, prep.kind, item.value, lists, item.shadow && prep.kind === 'command');
      for (let li = 0; li < lists.length; li++) {
        const list = lists[li];
        for (let ri = 0; ri < list.length; ri++) {
          const r = list[ri];
          if (r.stamp === stamp) continue;
          r.stamp = stamp;
          if ((item.shadow && r.rank === 0) || !ruleMatches(r, input)) continue;
          if (r.predicate !== undefined) {
            const key = r.id + '\0' + item.value;
            const res = predicates?.get(key);
            if (!res) {
              pending?.push({ rule: r, item, key });
              continue;
            }
            if (!res.ok) {
              failure ??= `predicate of rule ${r.id} failed: ${res.reason}`;
              matched.push(r);
              continue;
            }
            if (!res.value) continue;
          }
          matched.push(r);
          if (r.rank > itemRank) itemRank = r.rank;
          if (r.rank > rank || (r.rank === rank && best !== undefined && r.id < best.id)) {
            rank = r.rank;
            best = r;
          }
        }
      }
      if (itemRank < 0 && !item.shadow && rank < 2) {
        rank = 2;
        best = undefined;
        reason = `no rule allows ${req.action} on ${JSON.stringify(item.value.slice(0, 200))} (default deny)`;
      }
    }
    const limits: Limits = { ...HARD_LIMITS };
    tighten(limits, pol.defaults);
    for (const r of matched) tighten(limits, r.limits);
    if (typeof ctx.timeout_ms === 'number') tighten(limits, { timeout_ms: ctx.timeout_ms });
    if (failure) return { rank: 2, matched, reason: failure, limits };
    if (best) reason = best.reason;
    return { rank, matched, reason, limits };
  }

  /** Applies command-line caps and the capability token, and shapes the wire decision. */
  private finish(req: PolicyRequest, prep: Extract<Prepared, { ok: true }>, j: Judged): Decision {
    let rank = j.rank;
    let reason = j.reason;
    if (rank === 0 && prep.caps.length) {
      rank = 1;
      reason = `command line uses ${prep.caps.join(', ')}: needs approval`;
    }
    const token = req.context?.token;
    if (token !== undefined) {
      const tokens = this.opts.tokens;
      const check = tokenCheck(tokens, token, req, prep);
      if (!check.ok) {
        rank = 2;
        reason = `capability token refused: ${check.reason}`;
      } else if (rank === 1) {
        tokens!.consume(check.claims);
        rank = 0;
        reason = `approved by capability token ${check.claims.iss}#${check.claims.n}: ${reason}`;
      }
    }
    const ids = j.matched.length < 2 ? j.matched.map((r) => r.id) : [...new Set(j.matched.map((r) => r.id))].sort();
    return { decision: EFFECTS[rank], matched: ids, limits: j.limits as Decision['limits'], reason };
  }

  dispose(): void {
    this._onDidChange.dispose();
    this._onDidFailLoad.dispose();
  }
}

function tokenCheck(
  tokens: TokenService | undefined,
  token: string,
  req: PolicyRequest,
  prep: Extract<Prepared, { ok: true }>,
): TokenCheck {
  if (!tokens) return { ok: false, reason: 'no token key is configured, so the token cannot be verified' };
  return tokens.verify(token, {
    subject: `${req.subject.kind}:${req.subject.id}`,
    action: req.action,
    resource: prep.canonical,
    absolute: prep.absolute,
  });
}

/** Checks a token against a request's normalised scope, without judging the request (for `policy token verify`). */
export function verifyTokenFor(tokens: TokenService, token: string, req: PolicyRequest, workspace?: string): TokenCheck {
  const prep = prepareRequest(req, workspace);
  return prep.ok ? tokenCheck(tokens, token, req, prep) : { ok: false, reason: prep.reason };
}

function early(reason: string): Decision {
  return { decision: 'deny', matched: [], limits: { ...HARD_LIMITS }, reason };
}

function predicateRequest(req: PolicyRequest, item: Item): unknown {
  const { token: _token, ...context } = req.context ?? {};
  return { subject: req.subject, action: req.action, resource: item.value, context };
}
