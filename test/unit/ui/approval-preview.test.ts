// Approval cards say what a call does: an edit as a diff against the workspace file, a command as its parsed argv.
import { strict as assert } from 'node:assert';
import { approvalPreview, shellLine } from '../../../extension/src/chat/approvalPreview';

const files: Record<string, string> = { 'src/a.js': 'one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n' };
const read = async (p: string) => files[p];

describe('approval previews', () => {
  it('fs.write of an existing file is a diff of the changed lines, not the whole file', async () => {
    const p = await approvalPreview(
      'fs.write',
      JSON.stringify({ path: 'src/a.js', content: files['src/a.js']!.replace('two', 'TWO') }),
      read,
    );
    assert.equal(p?.kind, 'diff');
    if (p?.kind !== 'diff') return;
    assert.deepEqual([p.added, p.removed, p.newFile, p.truncated], [1, 1, false, false]);
    assert.match(p.unified, /^@@ -1,5 \+1,5 @@\n one\n-two\n\+TWO\n three/);
    assert.ok(!p.unified.includes('ten'), 'lines far from the change are not shown');
  });

  it('fs.write of a new file is all additions; fs.edit applies the replacement to the workspace text', async () => {
    const n = await approvalPreview('fs.write', JSON.stringify({ path: 'new.txt', content: 'x\ny\n' }), read);
    assert.ok(n?.kind === 'diff' && n.newFile && n.added === 2 && n.removed === 0);
    const e = await approvalPreview('fs.edit', JSON.stringify({ path: 'src/a.js', oldText: 'nine', newText: 'NINE $&' }), read);
    assert.ok(e?.kind === 'diff' && !e.caveat);
    assert.match(e.unified, /-nine\n\+NINE \$&/);
  });

  it('an edit whose text is not in the workspace file says so and diffs the replaced text', async () => {
    const e = await approvalPreview('fs.edit', JSON.stringify({ path: 'src/a.js', oldText: 'absent', newText: 'present' }), read);
    assert.ok(e?.kind === 'diff');
    assert.match(e.caveat ?? '', /earlier edit of this task/);
    assert.match(e.unified, /-absent\n\+present/);
  });

  it('exec shows the parsed command, shell-quoted where needed, and its cwd', async () => {
    const c = await approvalPreview('exec', JSON.stringify({ argv: ['sh', '-c', "echo 'hi' && rm -rf x"], cwd: 'pkg' }), read);
    assert.deepEqual(c, {
      kind: 'command',
      argv: ['sh', '-c', "echo 'hi' && rm -rf x"],
      line: `sh -c 'echo '\\''hi'\\'' && rm -rf x'`,
      cwd: 'pkg',
    });
    assert.equal(shellLine(['node', '--test', 'a b']), "node --test 'a b'");
  });

  it('other tools and unparsable arguments have no preview', async () => {
    assert.equal(await approvalPreview('fs.read', '{"path":"a"}', read), undefined);
    assert.equal(await approvalPreview('exec', 'not json', read), undefined);
    assert.equal(await approvalPreview('fs.write', '{"path":"a"}', read), undefined);
  });
});
