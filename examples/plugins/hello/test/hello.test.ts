// The hello plugin tested without Airlock: the SDK's in-memory client, a temporary workspace.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { manifestOf, testPlugin } from '@airlock/plugin-sdk';
import { plugin } from '../src/index';

test('greets, counts lines, proposes a file', async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'hello-'));
  fs.writeFileSync(path.join(ws, 'a.txt'), 'one\ntwo\nthree\n');
  const p = await testPlugin(plugin, { workspace: ws });
  try {
    assert.deepEqual((await p.tools()).map((t) => t.name), ['greet', 'count-lines', 'note']);
    assert.equal((await p.call('greet', { name: 'Ada' })).text, 'Hello, Ada! (from the hello plugin)');
    assert.match((await p.call('count-lines', { path: 'a.txt' })).text, /a\.txt has 3 lines/);
    assert.equal((await p.call('count-lines', { path: '../etc/passwd' })).isError, true);
    const n = await p.call('note', { text: 'hi' });
    assert.deepEqual(n.writes, [{ path: 'NOTES.md', content: '# Notes\n\nhi\n' }]);
    assert.equal((await p.call('greet', {})).isError, true);
  } finally { await p.close(); fs.rmSync(ws, { recursive: true, force: true }); }
});

test('the committed manifest is the one the plugin implies', () => {
  const committed = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'airlock-plugin.json'), 'utf8'));
  assert.deepEqual(committed, manifestOf(plugin));
});
