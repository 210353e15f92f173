// Policy engine benchmark: decisions/s at 10/100/1,000 rules (indexed vs a naive linear scan), tokens, load time.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PolicyRequest } from '../protocol/src/policy';
import { PolicyEngine } from '../core/src/policy/engine';
import { compilePolicy, readPolicyFile } from '../core/src/policy/loader';
import { prepareRequest } from '../core/src/policy/request';
import { ruleMatches, type CompiledRule } from '../core/src/policy/rules';
import { TokenService } from '../core/src/policy/tokens';
import { nowMs, writeResults } from './lib';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-bench-policy-'));

/** A realistic mix: per-package read/write rules with carve-outs, command rules, network rules. */
function policyText(n: number): string {
  const rules: string[] = [];
  for (let i = 0; i < n; i++) {
    switch (i % 5) {
      case 0:
        rules.push(
          `  - { id: read-${i}, effect: allow, subjects: ["agent:*", "tag:dev"], actions: [fs.read, fs.list], resources: ["packages/p${i}/src/**", "packages/p${i}/test/**"], except: ["**/*.pem"], limits: { timeout: 30s } }`,
        );
        break;
      case 1:
        rules.push(
          `  - { id: write-${i}, effect: ask, subjects: ["agent:*"], actions: [fs.write, fs.delete], resources: ["packages/p${i - 1}/**"], limits: { output: 5MiB } }`,
        );
        break;
      case 2:
        rules.push(`  - { id: gen-${i}, effect: deny, actions: ["fs.*"], resources: ["packages/p${i - 2}/generated/**"] }`);
        break;
      case 3:
        rules.push(
          `  - { id: cmd-${i}, effect: allow, subjects: ["agent:*"], actions: [exec], resources: ["tool${i} *", "npm run t${i}*"], limits: { timeout: 2m, memory: 512MiB } }`,
        );
        break;
      default:
        rules.push(`  - { id: net-${i}, effect: allow, actions: [net.connect], resources: ["h${i}.example.com:443"] }`);
    }
  }
  return `version: 1\ndefaults: { timeout: 10m, memory: 2GiB }\nrules:\n${rules.join('\n')}\n`;
}

function requests(n: number): PolicyRequest[] {
  const out: PolicyRequest[] = [];
  const subject = { kind: 'agent' as const, id: 'bench', tags: ['dev'] };
  for (let k = 0; k < 64; k++) {
    const i = (k * 37) % n;
    const p = i - (i % 5);
    const r = (action: string, resource: string): PolicyRequest => ({ subject, action, resource, context: {} });
    out.push(
      r('fs.read', `packages/p${p}/src/lib/file${k}.ts`),
      r('fs.write', `packages/p${p}/src/new${k}.ts`),
      r('fs.read', `packages/p${p}/generated/x${k}.js`),
      r('exec', `tool${p + 3} --flag ${k}`),
      r('net.connect', `h${p + 4}.example.com:443`),
      r('fs.read', `docs/unmatched${k}.md`),
    );
  }
  return out;
}

const DECISIONS = 100_000;
const WARMUP = 20_000;

/** Calls per second over a fixed count after a fixed warm-up (the JIT settles first), the same for every contender. */
function rate(fn: (i: number) => unknown): number {
  for (let i = 0; i < WARMUP; i++) fn(i);
  const t = nowMs();
  for (let i = 0; i < DECISIONS; i++) fn(i);
  return (DECISIONS / (nowMs() - t)) * 1000;
}

/** The naive baseline: the same compiled rules and matchers, every rule tested for every request. */
function linearScan(rules: readonly CompiledRule[], req: PolicyRequest): string {
  const prep = prepareRequest(req);
  if (!prep.ok) return 'deny';
  let rank = -1;
  for (const item of prep.items) {
    const input = { subject: req.subject, kind: prep.kind, value: item.value, absolute: item.absolute, mode: undefined, size: undefined };
    for (const r of rules) if (r.actions.includes(req.action) && ruleMatches(r, input) && r.rank > rank) rank = r.rank;
  }
  return ['allow', 'ask', 'deny'][rank < 0 ? 2 : rank];
}

const perRules: Record<number, number> = {};
let baseline = 0;
let loadMs = 0;
for (const n of [10, 100, 1000]) {
  const file = path.join(dir, `p${n}.yaml`);
  fs.writeFileSync(file, policyText(n));
  const engine = new PolicyEngine();
  const t = nowMs();
  engine.load([file]);
  if (n === 1000) loadMs = nowMs() - t;
  const reqs = requests(n);
  perRules[n] = rate((i) => engine.evaluate(reqs[i % reqs.length]));
  if (n === 1000) {
    const rules = compilePolicy([readPolicyFile(file)]).rules;
    for (const r of reqs)
      if (linearScan(rules, r) !== engine.evaluate(r).decision) throw new Error(`baseline disagrees on ${r.action} ${r.resource}`);
    baseline = rate((i) => linearScan(rules, reqs[i % reqs.length]));
  }
}
// Load time: a fresh process-like measurement after warm-up (the first load also compiles picomatch paths).
{
  const file = path.join(dir, 'p1000.yaml');
  const samples: number[] = [];
  for (let k = 0; k < 5; k++) {
    const t = nowMs();
    new PolicyEngine().load([file]);
    samples.push(nowMs() - t);
  }
  loadMs = Math.min(...samples, loadMs);
}

const tokens = new TokenService(randomBytes(32));
const tok = tokens.issue({ subject: 'agent:bench', action: 'fs.write', resource: 'packages/**', ttlMs: 3_600_000 });
const scope = { subject: 'agent:bench', action: 'fs.write', resource: 'packages/p0/src/a.ts', absolute: false };
if (!tokens.verify(tok, scope).ok) throw new Error('token does not verify');
const tokenRate = rate(() => tokens.verify(tok, scope));

const r = (value: number, work: string) => ({
  value,
  unit: '/s',
  stat: 'rate' as const,
  n: DECISIONS,
  warmup: WARMUP,
  model: 'in-process' as const,
  work,
});
const mix = 'a mix of fs/exec/net requests';
writeResults({
  name: 'policy',
  engine: null,
  metrics: {
    decisions_per_s_10_rules: r(perRules[10], `PolicyEngine.evaluate, 10 rules, ${mix}`),
    decisions_per_s_100_rules: r(perRules[100], `PolicyEngine.evaluate, 100 rules, ${mix}`),
    decisions_per_s_1000_rules: { ...r(perRules[1000], `PolicyEngine.evaluate, 1,000 rules, ${mix}`), goal: '>= 500000' },
    token_validations_per_s: r(tokenRate, 'TokenService.verify of one token'),
    load_1000_rules_ms: {
      value: loadMs,
      unit: 'ms',
      stat: 'best',
      n: 6,
      warmup: 0,
      model: 'in-process',
      work: 'PolicyEngine.load of a 1,000-rule file',
    },
  },
  baselines: {
    linear_scan_decisions_per_s_1000_rules: r(baseline, `linear scan of the same 1,000 compiled rules with the same matchers, ${mix}`),
  },
  ratios: [['indexed / linear scan (1,000 rules)', 'decisions_per_s_1000_rules', 'linear_scan_decisions_per_s_1000_rules']],
});
fs.rmSync(dir, { recursive: true, force: true });
