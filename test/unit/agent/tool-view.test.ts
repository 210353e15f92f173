// search.grep / search.glob / fs.list see a task's own edits: its upper dir over the workspace (real dirs, whiteouts, opaque dirs).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TaskVolume } from '../../../kernel/src/agent/task-volume';
import { fsList, searchGlob, searchGrep } from '../../../kernel/src/agent/tools/native';
import type { ToolContext } from '../../../kernel/src/agent/tools/types';
import type { OutputVolume } from '../../../kernel/src/patches/volumes';
import { opaque, rm, tempDir, whiteout, writeTree } from '../patches/helpers';

describe('native tools on a task view (overlay upper dir over the workspace)', () => {
  let ws: string, out: string, upper: string, ctx: ToolContext;

  before(() => {
    ws = tempDir('airlock-view-ws-');
    out = tempDir('airlock-view-out-');
    upper = path.join(out, 'upper');
    writeTree(ws, {
      'src/a.ts': 'const a = OLD_TEXT;\n',
      'src/gone.ts': 'NEEDLE in a deleted file\n',
      'src/keep.ts': 'NEEDLE kept\n',
      'lib/old.ts': 'NEEDLE in a directory the task replaced\n',
      'lib/sub/deep.ts': 'NEEDLE deep in the replaced directory\n',
      'gone-dir/x.ts': 'NEEDLE in a deleted directory\n',
      '.gitignore': 'ignored/\n',
    });
    writeTree(upper, {
      'src/a.ts': 'const a = NEW_TEXT; // NEEDLE edited\n',
      'src/new.ts': 'NEEDLE in a new file\n',
      'lib/fresh.ts': 'NEEDLE in the recreated directory\n',
      'ignored/x.ts': 'NEEDLE but ignored by the workspace .gitignore\n',
    });
    whiteout(upper, 'src/gone.ts');
    whiteout(upper, 'gone-dir');
    opaque(upper, 'lib');
    fs.mkdirSync(path.join(out, 'work'));
    const vol = { id: 'v', volumeName: 'v', kind: 'overlay', dir: out, quotaBytes: 1 << 30, baselineBytes: 0 } as OutputVolume;
    const tv = new TaskVolume(vol, ws, async () => {});
    ctx = { workspace: ws, taskId: 'task_v', signal: new AbortController().signal, output: tv };
  });
  after(() => rm(ws, out));

  it("search.grep finds edited and new files, not deleted ones or an opaque dir's old content", async () => {
    const r = await searchGrep.run({ pattern: 'NEEDLE', maxResults: 200 }, ctx);
    assert.deepEqual(r.content.split('\n'), [
      'lib/fresh.ts:1:NEEDLE in the recreated directory',
      'src/a.ts:1:const a = NEW_TEXT; // NEEDLE edited',
      'src/keep.ts:1:NEEDLE kept',
      'src/new.ts:1:NEEDLE in a new file',
    ]);
    assert.equal((await searchGrep.run({ pattern: 'OLD_TEXT', maxResults: 200 }, ctx)).content, 'no matches in 5 files');
    assert.equal(
      (await searchGrep.run({ pattern: 'NEW_TEXT', path: 'src', maxResults: 200 }, ctx)).content,
      'src/a.ts:1:const a = NEW_TEXT; // NEEDLE edited',
    );
  });

  it('search.glob and fs.list show the merged tree', async () => {
    assert.deepEqual((await searchGlob.run({ patterns: ['**/*.ts'], maxResults: 500 }, ctx)).content.split('\n'), [
      'lib/fresh.ts',
      'src/a.ts',
      'src/keep.ts',
      'src/new.ts',
    ]);
    assert.deepEqual((await fsList.run({ path: '.', recursive: true, maxEntries: 500 }, ctx)).content.split('\n'), [
      '.gitignore',
      'lib/',
      'src/',
      'lib/fresh.ts',
      'src/a.ts',
      'src/keep.ts',
      'src/new.ts',
    ]);
    assert.equal((await fsList.run({ path: 'lib', recursive: false, maxEntries: 500 }, ctx)).content, 'lib/fresh.ts');
  });

  it('a directory the task deleted is not a directory; one it created is', async () => {
    await assert.rejects(fsList.run({ path: 'gone-dir', recursive: false, maxEntries: 500 }, ctx), /does not exist/);
    await assert.rejects(fsList.run({ path: 'lib/sub', recursive: false, maxEntries: 500 }, ctx), /does not exist/);
    fs.mkdirSync(path.join(upper, 'made'));
    fs.writeFileSync(path.join(upper, 'made', 'm.ts'), 'NEEDLE made\n');
    try {
      assert.equal((await searchGrep.run({ pattern: 'NEEDLE', path: 'made', maxResults: 200 }, ctx)).content, 'made/m.ts:1:NEEDLE made');
    } finally {
      rm(path.join(upper, 'made'));
    }
  });

  it('a symlink planted in the upper dir is never followed', async () => {
    fs.symlinkSync('/etc', path.join(upper, 'src', 'etc'));
    try {
      const r = await searchGlob.run({ patterns: ['**'], maxResults: 500 }, ctx);
      assert.ok(!r.content.includes('passwd'));
      await assert.rejects(fsList.run({ path: 'src/etc', recursive: false, maxEntries: 500 }, ctx), /"src\/etc" is a symlink to "\/etc"/);
    } finally {
      fs.unlinkSync(path.join(upper, 'src', 'etc'));
    }
  });

  it('with an empty upper dir the tools walk the workspace itself', async () => {
    const empty = tempDir('airlock-view-empty-');
    fs.mkdirSync(path.join(empty, 'upper'));
    try {
      const tv = new TaskVolume(
        { id: 'e', volumeName: 'e', kind: 'overlay', dir: empty, quotaBytes: 1 << 30, baselineBytes: 0 } as OutputVolume,
        ws,
        async () => {},
      );
      assert.equal(await tv.view(ctx.signal), ws);
      const r = await searchGrep.run({ pattern: 'OLD_TEXT', maxResults: 200 }, { ...ctx, output: tv });
      assert.equal(r.content, 'src/a.ts:1:const a = OLD_TEXT;');
    } finally {
      rm(empty);
    }
  });
});
