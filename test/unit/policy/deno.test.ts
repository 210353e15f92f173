// Deno predicates: a real Deno process with no permissions; crash, timeout, non-boolean and denied I/O are denies.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PolicyEngine } from '../../../core/src/policy/engine';
import { req, tempDir, writePolicy } from './helpers';

const MODULES: Record<string, string> = {
  'md.ts': 'export default (r: { resource: string }) => r.resource.endsWith(".md");',
  'reads.ts': 'export default async () => { await Deno.readTextFile("/etc/hostname"); return true; };',
  'net.ts': 'export default async () => { await fetch("http://127.0.0.1:9"); return true; };',
  'string.ts': 'export default () => "yes";',
  'loop.ts': 'export default () => { for (;;) {} };',
  'throws.ts': 'export default () => { throw new Error("boom"); };',
  'memory.ts': 'export default () => { const a: string[] = []; for (;;) a.push("x".repeat(1e6)); };',
};

describe('policy Deno predicates', function () {
  this.timeout(60_000);
  let dir: string;
  let engine: PolicyEngine;
  before(() => {
    dir = tempDir();
    for (const [f, src] of Object.entries(MODULES)) fs.writeFileSync(path.join(dir, f), src);
    const rules = Object.keys(MODULES)
      .map(
        (f) => `
- { id: ${f.replace('.ts', '')}, effect: allow, actions: [fs.read], resources: ["${f.replace('.ts', '')}/**"], predicate: ./${f} }`,
      )
      .join('');
    engine = new PolicyEngine({ predicates: { timeoutMs: 3000, memoryMb: 32 } });
    engine.load([writePolicy(dir, rules)]);
  });

  it('a true answer lets the rule apply, false does not', async () => {
    assert.equal((await engine.evaluateAsync(req('fs.read', 'md/readme.md'))).decision, 'allow');
    const d = await engine.evaluateAsync(req('fs.read', 'md/a.ts'));
    assert.equal(d.decision, 'deny');
    assert.match(d.reason, /default deny/);
  });
  it('the synchronous evaluate runs the predicate too', () => {
    assert.equal(engine.evaluate(req('fs.read', 'md/readme.md')).decision, 'allow');
  });
  for (const [name, why] of [
    ['reads', /crashed/],
    ['net', /crashed/],
    ['string', /not a boolean/],
    ['throws', /crashed/],
    ['loop', /timed out/],
    ['memory', /crashed|timed out/],
  ] as const) {
    it(`${name}: is a deny (${why})`, async () => {
      const d = await engine.evaluateAsync(req('fs.read', `${name}/x`));
      assert.equal(d.decision, 'deny');
      assert.match(d.reason, new RegExp(`predicate of rule ${name} failed: .*(${why.source})`));
    });
  }
  it('a missing predicate module is a load error', () => {
    const e = new PolicyEngine();
    assert.throws(
      () =>
        e.load([
          writePolicy(
            tempDir(),
            `
- { id: p, effect: allow, actions: [fs.read], predicate: ./nope.ts }`,
          ),
        ]),
      /does not exist/,
    );
  });
});
