// Property tests: adding an allow never turns a deny into allow; rule order never matters; normalisation is idempotent.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PolicyEngine } from '../../../core/src/policy/engine';
import { normalisePathLexical } from '../../../core/src/policy/normalise';
import { parsePolicyText } from '../../../core/src/policy/loader';
import type { PolicyRequest } from '../../../protocol/src/policy';
import { req } from './helpers';

const seg = fc.constantFrom('src', 'lib', 'a.ts', 'b.pem', '.env', 'docs', 'policies', '.airlock', 'x');
const relPath = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
const pattern = fc.oneof(
  relPath,
  relPath.map((p) => p + '/**'),
  fc.constantFrom('**', '**/*.pem', '**/.env', 'src/*'),
);
const rule = fc.record({
  effect: fc.constantFrom('allow', 'ask', 'deny'),
  actions: fc.subarray(['fs.read', 'fs.write', 'fs.*', 'exec'], { minLength: 1 }),
  resources: fc.option(fc.array(pattern, { minLength: 1, maxLength: 3 }), { nil: undefined }),
  except: fc.option(fc.array(pattern, { minLength: 1, maxLength: 2 }), { nil: undefined }),
  subjects: fc.option(fc.constantFrom(['agent:*'], ['user:*'], ['tag:ops']), { nil: undefined }),
});
type R = typeof rule extends fc.Arbitrary<infer T> ? T : never;
const request = fc.record({
  action: fc.constantFrom('fs.read', 'fs.write'),
  resource: relPath,
  subject: fc.constantFrom('agent:a', 'user:u'),
  tags: fc.constantFrom([], ['ops']),
});

/** Builds an engine from in-memory rules (no files) by compiling a YAML text. */
function engineOf(rules: R[]): PolicyEngine {
  const text = JSON.stringify({
    version: 1,
    rules: rules.map((r, i) => ({ id: `r${i}`, ...Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) })),
  });
  const e = new PolicyEngine();
  e.loadParsed(() => [parsePolicyText(text, 'prop.yaml')]);
  return e;
}

const toReq = (r: { action: string; resource: string; subject: string; tags: readonly string[] }): PolicyRequest =>
  req(r.action, r.resource, r.subject, { tags: [...r.tags] });

describe('policy properties (fast-check)', () => {
  it('adding an allow rule never turns a deny into an allow', () => {
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 8 }), rule, request, (rules, extra, r) => {
        const before = engineOf(rules).evaluate(toReq(r));
        const after = engineOf([...rules, { ...extra, effect: 'allow' }]).evaluate(toReq(r));
        if (before.decision === 'deny' && before.matched.length > 0) assert.equal(after.decision, 'deny');
        if (before.decision === 'ask') assert.notEqual(after.decision, 'allow');
      }),
      { numRuns: 300 },
    );
  });

  it('rule order never changes a decision', () => {
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 8 }), request, fc.integer(), (rules, r, seed) => {
        const named = rules.map((x, i) => ({ ...x, id: i }));
        const shuffled = [...named].sort((a, b) => ((a.id * 7919 + seed) % 13) - ((b.id * 7919 + seed) % 13));
        const e1 = engineOf(named.map(({ id: _id, ...x }) => x));
        const a = e1.evaluate(toReq(r));
        // Same ids, other order: rename so each rule keeps its id.
        const text = JSON.stringify({
          version: 1,
          rules: shuffled.map(({ id, ...x }) => ({
            id: `r${id}`,
            ...Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)),
          })),
        });
        const e2 = new PolicyEngine();
        e2.loadParsed(() => [parsePolicyText(text, 'prop.yaml')]);
        assert.deepEqual(e2.evaluate(toReq(r)), a);
      }),
      { numRuns: 300 },
    );
  });

  it('path normalisation is idempotent', () => {
    const part = fc.constantFrom('a', 'b', '.', '..', '', 'ü', 'u\u0308', '.git', 'c d');
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 8 }), fc.boolean(), (parts, abs) => {
        const once = normalisePathLexical((abs ? '/' : '') + parts.join('/'));
        if (!once.ok) return;
        const twice = normalisePathLexical(once.value);
        assert.ok(twice.ok);
        assert.equal(twice.value, once.value);
        assert.ok(!once.value.includes('//') && !once.value.split('/').includes('..'));
      }),
      { numRuns: 1000 },
    );
  });
});
