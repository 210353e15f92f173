// Property test: the rule index finds exactly the rules a linear scan over every rule finds (absolute and relative).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { normalisePathLexical } from '../../../core/src/policy/normalise';
import { RuleIndex } from '../../../core/src/policy/rule-index';
import { type CompiledRule, compileRule, ruleMatches } from '../../../core/src/policy/rules';
import { engineFor, req } from './helpers';

const seg = fc.constantFrom('src', 'SRC', 'Src', 'etc', 'a.ts', '.git', 'b', 'x y', 'ü');
const globSeg = fc.constantFrom('*', '**', '{a.ts,b}', '{src,etc}', '*.ts', '?', '[ab]', '.git');
const part = fc.oneof(seg, globSeg);
const pattern = fc.oneof(
  fc.constantFrom('/', '/**', '/*', '/{a,b}/**', '/{etc,src}/**', '**', '*', '/etc/**', '**/a.ts', 'src/**/a.ts', '/**/b'),
  fc.tuple(fc.boolean(), fc.array(part, { minLength: 1, maxLength: 4 })).map(([abs, parts]) => (abs ? '/' : '') + parts.join('/')),
);
const value = fc.oneof(
  fc.constantFrom('/', '.', '/etc/passwd', 'src/a.ts', '/a/x', '/src'),
  fc
    .tuple(fc.boolean(), fc.array(fc.oneof(seg, fc.constantFrom('a', '.git', 'A.TS')), { minLength: 1, maxLength: 5 }))
    .map(([abs, s]) => (abs ? '/' : '') + s.join('/')),
);

function compile(patterns: string[][]): CompiledRule[] {
  return patterns.map((res, i) => compileRule({ id: `r${i}`, effect: 'allow', actions: ['fs.read'], resources: res }, 'p.yaml', i, {}));
}

describe('policy rule index (property: index == linear scan)', () => {
  it('returns the same matching rules as checking every rule', () => {
    fc.assert(
      fc.property(fc.array(fc.array(pattern, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 }), value, (pats, raw) => {
        const n = normalisePathLexical(raw);
        if (!n.ok) return;
        const rules = compile(pats);
        const input = {
          subject: { kind: 'agent' as const, id: 'a', tags: [] },
          kind: 'path' as const,
          value: n.value,
          absolute: n.absolute,
          mode: undefined,
          size: undefined,
        };
        const linear = rules
          .filter((r) => ruleMatches(r, input))
          .map((r) => r.id)
          .sort();
        const lists: CompiledRule[][] = [];
        new RuleIndex(rules).collect('fs.read', 'path', n.value, lists);
        const indexed = [
          ...new Set(
            lists
              .flat()
              .filter((r) => ruleMatches(r, input))
              .map((r) => r.id),
          ),
        ].sort();
        assert.deepEqual(indexed, linear, `patterns ${JSON.stringify(pats)} value ${n.value}`);
      }),
      { numRuns: 3000 },
    );
  });

  it('attack: deny /** plus allow /etc/** does not allow /etc/passwd', () => {
    for (const deny of ['/**', '/*/passwd', '/{etc,usr}/**', '/']) {
      const e = engineFor(`
- { id: no-root, effect: deny, actions: [fs.read], resources: ["${deny}"] }
- { id: etc, effect: allow, actions: [fs.read], resources: ["/etc/**", "/"] }`);
      const target = deny === '/' ? '/' : '/etc/passwd';
      const d = e.evaluate(req('fs.read', target));
      assert.equal(d.decision, 'deny', `${deny}: ${d.reason}`);
      assert.ok(d.matched.includes('no-root'), deny);
    }
  });
});
