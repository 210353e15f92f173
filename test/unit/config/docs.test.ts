// docs/configuration.md lists every configuration key with its layers, environment variable and flag.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_KEYS, keyDef } from '../../../core/src/config/keys';
import { assets } from '../../../protocol/src/node/assets';

describe('docs/configuration.md', () => {
  it('has one row per key, naming the layers, environment variable and flag the key table defines', () => {
    const doc = fs.readFileSync(path.join(assets().root, 'docs', 'configuration.md'), 'utf8');
    const rows = doc.split('\n').filter((l) => /^\| `[a-z]+\.[A-Za-z.]+` \|/.test(l));
    assert.deepEqual(
      rows.map((r) => /^\| `([^`]+)`/.exec(r)![1]),
      CONFIG_KEYS,
      'regenerate the key table (see the comment above it)',
    );
    for (const [i, k] of CONFIG_KEYS.entries()) {
      const d = keyDef(k);
      const cells = rows[i]!.split(' | ');
      assert.equal(cells[1], d.layers.join(', '), k);
      assert.equal(cells[2], d.env ? `\`${d.env}\`` : '—', k);
      assert.equal(cells[3], d.flag ? `\`${d.flag}\`` : '—', k);
    }
  });
});
