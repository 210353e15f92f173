// Attacks and reachability checks against the shipped default policies (policies/*.yaml), loaded as the kernel does.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createDefaultPolicyEngine } from '../../../core/src/policy/defaults';
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

  it('attack: inspection commands that write files or run programs are not allowed as inspections', () => {
    const attacks = [
      'git log --output=.git/config',
      'git log -p --output .git/config',
      'git -c core.pager=sh log',
      'git -c alias.x=!sh status',
      'git --config-env=core.pager=X log',
      'git diff --ext-diff',
      'git log -p --textconv',
      'git --exec-path=/tmp/x status',
      'git -C /tmp/evil status',
      'git show --output=/tmp/x HEAD',
      'rg --pre ./evil.sh TODO',
      'rg --pre=./evil.sh TODO',
      'git --git-dir=/tmp/r/.git log',
      'git -p log',
    ];
    for (const mode of ['strict', 'explore', 'debug']) {
      const e = engine(mode);
      for (const cmd of attacks) {
        const d = e.evaluate(req('exec', cmd));
        assert.notEqual(d.decision, 'allow', `${mode}: ${cmd}: ${d.reason}`);
      }
      for (const cmd of ['git log -p -3', 'git diff HEAD~1', 'git show HEAD', 'git status'])
        assert.equal(e.evaluate(req('exec', cmd)).decision, 'allow', `${mode}: ${cmd}`);
    }
    const debug = engine('debug');
    for (const cmd of ['git config core.pager sh', 'git difftool', 'git bisect run ./x.sh', 'git submodule foreach rm -rf .'])
      assert.notEqual(debug.evaluate(req('exec', cmd)).decision, 'allow', cmd);
    assert.equal(debug.evaluate(req('exec', 'git config --get user.name')).decision, 'allow');
  });
});
