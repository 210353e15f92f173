// Attacks and reachability checks against the shipped default policies (policies/*.yaml), loaded as the kernel does.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createDefaultPolicyEngine } from '../../../kernel/src/policy/defaults';
import { req } from './helpers';

const policiesDir = path.resolve(__dirname, '../../../policies');
const engine = (mode: string) => createDefaultPolicyEngine(mode, { policiesDir });

describe('default policies', () => {
  it('debug: the catch-all ask does not swallow the allow list', () => {
    const e = engine('debug');
    for (const cmd of ['git bisect start', 'ls -la', 'rg -n TODO src', 'npm test']) {
      const d = e.evaluate(req('exec', cmd));
      assert.equal(d.decision, 'allow', `${cmd}: ${d.reason}`);
    }
    assert.equal(e.evaluate(req('exec', 'curl -v http://localhost:8080')).decision, 'ask');
    assert.equal(e.evaluate(req('exec', 'ls; curl x')).decision, 'ask');
  });
});
