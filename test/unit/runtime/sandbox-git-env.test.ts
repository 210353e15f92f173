// Every sandbox template ignores system and global git configuration, so a file left in $HOME (/tmp) cannot run code.
import * as assert from 'node:assert/strict';
import { loadTemplates } from '../../../core/src/templates';

describe('sandbox templates: git configuration', () => {
  it('sets GIT_CONFIG_NOSYSTEM=1 and GIT_CONFIG_GLOBAL=/dev/null in every template; code-executor ignores ~/.npmrc', () => {
    const all = loadTemplates(undefined, '1000:1000');
    assert.ok(all.size >= 4);
    for (const [name, t] of all) {
      assert.equal(t.env.GIT_CONFIG_NOSYSTEM, '1', name);
      assert.equal(t.env.GIT_CONFIG_GLOBAL, '/dev/null', name);
    }
    assert.equal(all.get('code-executor')!.env.npm_config_userconfig, '/dev/null');
  });
});
