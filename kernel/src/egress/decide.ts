// Whether one proxy target may be reached: the policy (`net.connect`, then `net.private`), a person for `ask`, and
// the one address the name resolves to. Never throws: anything that cannot be judged is a deny with its reason.
import { randomUUID } from 'node:crypto';
import * as dns from 'node:dns';
import type { Decision, PolicyRequest, Subject } from '../../../protocol/src/policy';
import { type Address, type AddressClass, classify, parseAddress } from './address';
import { resource, type Target } from './target';

export type EgressPolicy = { evaluateAsync(req: PolicyRequest, signal?: AbortSignal): Promise<Decision> };
/** Resolves a name to its addresses (text). The kernel's resolver by default; tests inject their own. */
export type Resolver = (host: string) => Promise<string[]>;
/** Asks a person about one connection (the same callback shape tool approvals use); 'deny' when no one answers. */
export type EgressApprover = (
  q: { requestId: string; tool: string; input: unknown; reason: string },
  signal: AbortSignal,
) => Promise<'allow' | 'deny'>;

/** Who is behind one proxy socket: a sandbox, the task it works for, and how the policy knows them. */
export interface EgressClient {
  sandbox: string;
  task?: string;
  session?: string;
  subject: Subject;
  mode?: string;
  /** The policy in force for the sandbox's task (its mode's policy); absent, the proxy's own (the kernel's). */
  policy?: EgressPolicy;
  /** Absent: `ask` is a deny (no person can be reached from this sandbox). */
  approve?: EgressApprover;
}

export interface Verdict {
  decision: 'allow' | 'deny';
  /** What the policy said for `net.connect` (before a person's answer), or null when it was never asked. */
  policy: Decision['decision'] | null;
  matched: string[];
  reason: string;
  /** The one address the connection goes to (allowed only); every resolved address when known. */
  address?: Address;
  addresses?: Array<{ address: string; class: AddressClass }>;
  answer?: 'allow' | 'deny';
}

export const RESOLVE_TIMEOUT_MS = 5_000;

export const systemResolver: Resolver = async (host) =>
  (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export interface JudgeDeps {
  policy: EgressPolicy;
  resolve: Resolver;
  signal?: AbortSignal;
}

function deny(reason: string, rest: Partial<Verdict> = {}): Verdict {
  return { decision: 'deny', policy: null, matched: [], reason, ...rest };
}

function request(c: EgressClient, action: 'net.connect' | 'net.private', t: Target): PolicyRequest {
  return { subject: c.subject, action, resource: resource(t), context: c.mode ? { mode: c.mode } : {} };
}

export async function judge(c: EgressClient, t: Target, deps: JudgeDeps): Promise<Verdict> {
  try {
    return await judgeOrThrow(c, t, deps);
  } catch (e) {
    return deny(`the connection could not be judged, so it is refused: ${(e as Error).message}`);
  }
}

async function judgeOrThrow(c: EgressClient, t: Target, base0: JudgeDeps): Promise<Verdict> {
  // A task's connections are judged by its own mode's policy, not by whatever mode the kernel started in.
  const deps = { ...base0, policy: c.policy ?? base0.policy };
  const d = await deps.policy.evaluateAsync(request(c, 'net.connect', t), deps.signal);
  const base = { policy: d.decision, matched: [...d.matched] };
  let answer: 'allow' | 'deny' | undefined;
  switch (d.decision) {
    case 'allow':
      break;
    case 'deny':
      return deny(d.reason, base);
    case 'ask': {
      if (!c.approve) {
        return deny(`${d.reason}: the policy asks a person about ${resource(t)}, and no one can be asked for this sandbox`, base);
      }
      answer = await c.approve(
        {
          requestId: `appr_${randomUUID()}`,
          tool: 'net.connect',
          input: { host: t.host, port: t.port, resource: resource(t), sandbox: c.sandbox },
          reason: d.reason,
        },
        deps.signal ?? new AbortController().signal,
      );
      if (answer !== 'allow') return deny(`the person declined ${resource(t)}`, { ...base, answer: 'deny' });
      break;
    }
    default: {
      const never: never = d.decision;
      return deny(`unknown policy decision ${String(never)}`, base);
    }
  }
  const addresses = t.literal ? [t.literal] : await resolveOnce(t.host, deps.resolve);
  if (!addresses.length) return deny(`${t.host} did not resolve to any address`, { ...base, answer });
  const classes = addresses.map((a) => ({ address: a.text, class: classify(a) }));
  const special = classes.find((x) => x.class !== 'public');
  if (t.literal || special) {
    // The name (or literal) was allowed; reaching a literal or a non-public address takes a second, explicit grant.
    const p = await deps.policy.evaluateAsync(request(c, 'net.private', t), deps.signal);
    const matched = [...new Set([...base.matched, ...p.matched])].sort();
    if (p.decision !== 'allow') {
      const why = t.literal
        ? `${resource(t)} is an IP literal (${classify(t.literal)}); only a rule allowing net.private on it lets it through`
        : `${t.host} resolves to ${special!.address} (${special!.class}); reaching it needs a rule allowing net.private on ${resource(t)}`;
      return deny(why, { ...base, matched, answer, addresses: classes });
    }
    base.matched = matched;
  }
  return { decision: 'allow', ...base, reason: d.reason, address: addresses[0], addresses: classes, answer };
}

/** One lookup, bounded in time; every answer must be an address we can parse (else nothing is used). */
export async function resolveOnce(host: string, resolve: Resolver): Promise<Address[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`resolving ${host} took over ${RESOLVE_TIMEOUT_MS} ms`)), RESOLVE_TIMEOUT_MS);
  });
  try {
    const texts = await Promise.race([resolve(host), late]);
    const out = texts.slice(0, 32).map((s) => parseAddress(s));
    if (out.some((a) => !a)) throw new Error(`the resolver answered something that is not an address for ${host}`);
    return out as Address[];
  } finally {
    clearTimeout(timer);
  }
}
