// Auto-merge of a task's set asks the real policy engine about patch.apply: a matching deny or ask refuses, silence does not.
import * as assert from 'node:assert/strict';
import type { PatchSet } from '../../../protocol/src/patches';
import { sha256 } from '../../../core/src/apply/file-hash';
import { createDefaultPolicyEngine } from '../../../core/src/policy/defaults';
import { policyRefusals } from '../../../kernel/src/agent/task-automerge';
import { engineFor } from '../policy/helpers';

const h = sha256('x');
const set = (paths: string[]): PatchSet => ({
  id: 'ps_test_1',
  createdAt: 0,
  source: 'overlay',
  blocked: [],
  warnings: [],
  testsPassed: true,
  status: 'pending',
  stats: { files: paths.length, added: 1, removed: 0 },
  files: paths.map((path) => ({ type: 'add' as const, path, newHash: h, newMode: 0o644, hunks: [], added: 1 })),
});
const o = { taskId: 'task_abc', mode: 'explore' };

describe('agent: auto-merge asks the policy about patch.apply', () => {
  it('the default explore policy has no patch.apply rule, so the criteria decide', async () => {
    const engine = createDefaultPolicyEngine('explore');
    try {
      assert.deepEqual(await policyRefusals(engine, set(['test/a.test.js', 'src/a.js']), o), []);
    } finally {
      engine.dispose();
    }
  });

  it('a deny or ask rule for tag:automerge refuses the paths it matches, naming the rule', async () => {
    const engine = engineFor(`
  - { id: no-automerge-src, effect: deny, subjects: ["tag:automerge"], actions: [patch.apply], resources: ["src/**"], reason: src is reviewed by a person }
  - { id: ask-docs, effect: ask, subjects: ["agent:*"], actions: [patch.apply], resources: ["docs/**"] }
`);
    try {
      const r = await policyRefusals(engine, set(['test/a.test.js', 'src/a.js', 'docs/x.md']), o);
      assert.equal(r.length, 2);
      assert.match(r[0], /^policy no-automerge-src denies patch\.apply on src\/a\.js: src is reviewed by a person/);
      assert.match(r[1], /^policy ask-docs asks a person about patch\.apply on docs\/x\.md/);
    } finally {
      engine.dispose();
    }
  });

  it('fails closed without an engine', async () => {
    assert.deepEqual(await policyRefusals(undefined, set(['test/a.test.js']), o), ['no policy engine: auto-merge fails closed']);
  });
});
