// Loading: positioned errors, examples checked at load, built-ins reserved, last good policy kept, default policies.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { PolicyEngine } from '../../../core/src/policy/engine';
import { createDefaultPolicyEngine, DEFAULT_MODES } from '../../../core/src/policy/defaults';
import { PolicyLoadError, parsePolicyText } from '../../../core/src/policy/loader';
import { builtinRules } from '../../../core/src/policy/builtins';
import { req, tempDir, writePolicy } from './helpers';

function problems(fn: () => void): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PolicyLoadError, String(e));
    return e.problems.map((p) => `${p.line}:${p.col}: ${p.message}`);
  }
  assert.fail('expected a PolicyLoadError');
}

describe('policy loading', () => {
  it('reports YAML syntax errors as file:line:column', () => {
    const [p] = problems(() => parsePolicyText('version: 1\nrules:\n  - id: a\n    effect: [allow\n', 'f.yaml'));
    assert.match(p, /^\d+:\d+: /);
  });
  it('reports schema errors at the offending node', () => {
    const text =
      'version: 1\nrules:\n  - id: a\n    effect: allow\n    actions: [fs.read]\n    colour: red\n  - id: b\n    effect: maybe\n    actions: [fs.read]\n';
    const ps = problems(() => parsePolicyText(text, 'f.yaml'));
    assert.ok(
      ps.some((p) => p.startsWith('8:13:') && /allow/.test(p)),
      ps.join('\n'),
    );
    assert.ok(
      ps.some((p) => /colour/.test(p)),
      ps.join('\n'),
    );
  });
  it('reports bad units, unknown actions, bad subjects, reserved ids and duplicates at their position', () => {
    const dir = tempDir();
    const file = writePolicy(
      dir,
      `
- { id: a, effect: allow, actions: [fs.read], limits: { timeout: 3 fortnights } }
- { id: b, effect: allow, actions: [fs.chmod] }
- { id: c, effect: allow, actions: [fs.read], subjects: [robot] }
- { id: builtin.x, effect: allow, actions: [fs.read] }
- { id: a, effect: allow, actions: [fs.read] }
- { id: e, effect: allow, actions: [fs.read], resources: ["../x/**"] }`,
    );
    const ps = problems(() => new PolicyEngine().load([file]));
    assert.ok(
      ps.some((p) => p.startsWith('3:') && /bad duration/.test(p)),
      ps.join('\n'),
    );
    assert.ok(
      ps.some((p) => p.startsWith('4:') && /no known action/.test(p)),
      ps.join('\n'),
    );
    assert.ok(
      ps.some((p) => p.startsWith('5:') && /subject pattern/.test(p)),
      ps.join('\n'),
    );
    assert.ok(
      ps.some((p) => p.startsWith('6:') && /reserved/.test(p)),
      ps.join('\n'),
    );
    assert.ok(
      ps.some((p) => p.startsWith('7:') && /duplicate/.test(p)),
      ps.join('\n'),
    );
    assert.ok(
      ps.some((p) => p.startsWith('8:') && /\.\./.test(p)),
      ps.join('\n'),
    );
  });
  it('checks examples at load and names each failing one', () => {
    const file = writePolicy(
      tempDir(),
      `
- id: src
  effect: allow
  actions: [fs.read]
  resources: ["src/**"]
  examples:
    match: [{ action: fs.read, resource: src/a.ts }, { action: fs.read, resource: lib/a.ts }]
    not_match: [{ action: fs.read, resource: src/b.ts }]`,
    );
    const ps = problems(() => new PolicyEngine().load([file]));
    assert.equal(ps.length, 2);
    assert.match(ps[0], /match\[1\].*lib\/a\.ts/);
    assert.match(ps[1], /not_match\[0\]/);
  });
  it('a failing load keeps the last good policy and says why', () => {
    const dir = tempDir();
    const file = writePolicy(
      dir,
      `
- { id: read, effect: allow, actions: [fs.read], resources: ["**"] }`,
    );
    const e = new PolicyEngine();
    const changes: number[] = [];
    e.onDidChange((c) => changes.push(c.rules));
    e.load([file]);
    fs.writeFileSync(file, 'version: 1\nrules:\n  - id: read\n    effect: allow\n    actions: [fs.*, {}]\n');
    assert.throws(() => e.reload(), PolicyLoadError);
    assert.ok(e.lastError);
    assert.equal(e.evaluate(req('fs.read', 'a.ts')).decision, 'allow', 'last good policy still in force');
    assert.equal(changes.length, 1);
  });
  it('before any policy loads everything is denied', () => {
    assert.equal(new PolicyEngine().evaluate(req('fs.read', 'a.ts', 'user:u')).decision, 'deny');
  });
  it('has at most 10 built-in rules', () => {
    assert.ok(builtinRules({ stateDir: '/s', kernelDir: '/k' }).length <= 10);
  });
  it('built-ins protect state, audit and meta-policy against allow-everything rules', () => {
    const e = new PolicyEngine({ stateDir: '/var/lib/airlock' });
    e.load([
      writePolicy(
        tempDir(),
        `
- { id: everything, effect: allow, actions: ["*"] }`,
      ),
    ]);
    const deny = (a: string, r: string, s = 'agent:a') => assert.equal(e.evaluate(req(a, r, s)).decision, 'deny', `${s} ${a} ${r}`);
    deny('fs.read', '/var/lib/airlock/policy-token.key');
    deny('fs.write', '.airlock/state/db.sqlite');
    deny('fs.delete', '.airlock/audit/log.jsonl', 'user:u');
    deny('audit.delete', 'all', 'user:u');
    deny('policy.update', 'policies/strict.yaml');
    deny('state.write', 'x', 'plugin:p');
    deny('fs.write', 'policies/strict.yaml', 'user:u');
    assert.equal(
      e.evaluate(req('policy.update', 'policies/strict.yaml', 'user:u')).decision,
      'ask',
      'a person may change policy after approval',
    );
  });
  for (const mode of DEFAULT_MODES) {
    it(`default policy ${mode} loads with its examples and denies escapes`, () => {
      const e = createDefaultPolicyEngine(mode);
      assert.ok(e.ruleCount > 9);
      assert.equal(e.evaluate(req('fs.read', '../../etc/passwd', 'agent:a', { context: { size: 1 } })).decision, 'deny');
      assert.equal(e.evaluate(req('fs.read', 'src/index.ts', 'agent:a', { context: { size: 100 } })).decision, 'allow');
      assert.equal(e.evaluate(req('fs.read', 'config/.env', 'agent:a', { context: { size: 100 } })).decision, 'deny');
    });
  }
});
