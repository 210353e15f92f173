// Runs the 26 normative cases (cases.ts) against the real engine, with real tokens and real policy files.
import assert from 'node:assert/strict';
import { PolicyEngine } from '../../../core/src/policy/engine';
import { TokenService } from '../../../core/src/policy/tokens';
import { CASES, type NormativeCase } from './cases';
import { newKey, req, tempDir, writePolicy } from './helpers';

function tamper(token: string): string {
  const [prefix, body, sig] = token.split('.');
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
  claims.res = '**';
  return [prefix, Buffer.from(JSON.stringify(claims)).toString('base64url'), sig].join('.');
}

function run(c: NormativeCase) {
  const dir = tempDir();
  let now = 1_700_000_000_000;
  const tokens = new TokenService(newKey(), { now: () => now });
  const engine = new PolicyEngine({ tokens, workspace: dir });
  engine.load([writePolicy(dir, c.rules, c.defaults)]);
  const r = req(c.request.action, c.request.resource, c.request.subject ?? 'agent:a', {
    tags: c.request.tags,
    context: c.request.context as never,
  });
  if (c.token) {
    const s = c.token.scope ?? {};
    const scope = {
      subject: s.subject ?? `${r.subject.kind}:${r.subject.id}`,
      action: s.action ?? r.action,
      resource: s.resource ?? r.resource,
      ttlMs: s.ttlMs ?? 60_000,
    };
    let token = tokens.issue(scope);
    switch (c.token.attack) {
      case undefined:
        break;
      case 'forged':
        token = new TokenService(newKey()).issue(scope);
        break;
      case 'tampered':
        token = tamper(token);
        break;
      case 'expired':
        now += 120_000;
        break;
      case 'replay': {
        const first = engine.evaluate({ ...r, context: { ...r.context, token } });
        assert.equal(first.decision, 'allow', 'the first use of the token is honoured');
        break;
      }
      default: {
        const never: never = c.token.attack;
        throw new Error(String(never));
      }
    }
    r.context = { ...r.context, token };
  }
  return engine.evaluate(r);
}

describe('policy: the 26 normative cases', () => {
  it('has exactly cases 1..26', () => {
    assert.deepEqual(
      CASES.map((c) => c.n).sort((a, b) => a - b),
      Array.from({ length: 26 }, (_, i) => i + 1),
    );
  });
  for (const group of ['basic', 'token', 'except', 'aggregation', 'defensive'] as const) {
    describe(group, () => {
      for (const c of CASES.filter((x) => x.group === group).sort((a, b) => a.n - b.n)) {
        it(`${c.n}. ${c.title}`, () => {
          const d = run(c);
          assert.equal(d.decision, c.expect.decision, `reason: ${d.reason}`);
          if (c.expect.matched) assert.deepEqual(d.matched, c.expect.matched);
          if (c.expect.reason) assert.match(d.reason, c.expect.reason);
          for (const [k, v] of Object.entries(c.expect.limits ?? {}))
            assert.equal((d.limits as Record<string, number>)[k], v, `limit ${k}`);
        });
      }
    });
  }
  it('22b. a token signed with another key is a deny', () => {
    const d = run({ ...CASES.find((c) => c.n === 22)!, token: { attack: 'forged' } });
    assert.equal(d.decision, 'deny');
    assert.match(d.reason, /signature/);
  });
});
