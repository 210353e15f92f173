// Native read-only tools on real temp directories: line ranges, caps, .gitignore, grep, glob, escapes refused.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fsExists, fsList, fsRead, searchGlob, searchGrep } from '../../../kernel/src/agent/tools/native';
import { requiredLiteral } from '../../../kernel/src/agent/tools/grep-core';
import { grep } from '../../../kernel/src/agent/tools/grep';
import { grepSync } from '../../../kernel/src/agent/tools/grep-core';

describe('agent native tools', () => {
  let ws: string;
  const ctx = () => ({ workspace: ws, taskId: 'task_t', signal: new AbortController().signal });
  const w = (rel: string, content: string | Buffer) => {
    fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
    fs.writeFileSync(path.join(ws, rel), content);
  };
  before(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-tools-'));
    w('src/a.ts', Array.from({ length: 50 }, (_, i) => `line ${i + 1}${i === 9 ? ' TODO fix' : ''}`).join('\n'));
    w('src/b.test.ts', 'it("x") // TODO test\n');
    w('src/nested/c.ts', 'export const x = 1; // todo lower\n');
    w('build/out.js', 'TODO in build output\n');
    w('logs/app.log', 'TODO log\n');
    w('keep/important.log', 'TODO keep\n');
    w('.gitignore', 'build/\n*.log\n!keep/*.log\n');
    w('src/.gitignore', 'nested/\n');
    w('bin.dat', Buffer.from([0x54, 0x4f, 0x44, 0x4f, 0, 1, 2]));
    fs.symlinkSync('/etc', path.join(ws, 'etc-link'));
  });
  after(() => fs.rmSync(ws, { recursive: true, force: true }));

  it('fs.read returns numbered lines and honours a line range', async () => {
    const r = await fsRead.run({ path: 'src/a.ts', startLine: 9, endLine: 11 }, ctx());
    assert.equal(r.content, '9\tline 9\n10\tline 10 TODO fix\n11\tline 11\n');
  });

  it('fs.read caps bytes and says how to continue', async () => {
    const r = await fsRead.run({ path: 'src/a.ts', maxBytes: 40 }, ctx());
    assert.match(r.content, /^1\tline 1\n2\tline 2\n/);
    assert.match(r.content, /request startLine=\d+ to continue/);
  });

  it('fs.read refuses paths outside the workspace, including through symlinks', async () => {
    await assert.rejects(fsRead.run({ path: '../../etc/passwd' }, ctx()), (e: any) => e.code === 'FS_PATH_OUTSIDE_WORKSPACE');
    // A symlink is never followed, wherever it points: it is reported with its target text.
    await assert.rejects(
      fsRead.run({ path: 'etc-link/passwd' }, ctx()),
      (e: any) => e.code === 'FS_SYMLINK' && /symlink to "\/etc"/.test(e.message),
    );
  });

  it('fs.read reports binary files instead of dumping them', async () => {
    assert.match((await fsRead.run({ path: 'bin.dat' }, ctx())).content, /binary file/);
  });

  it('fs.list lists one level or recursively, respecting .gitignore (nested files and negations)', async () => {
    const top = (await fsList.run({ path: '.', recursive: false, maxEntries: 500 }, ctx())).content.split('\n');
    assert.deepEqual(top, ['.gitignore', 'bin.dat', 'keep/', 'logs/', 'src/'], 'logs/ itself is not ignored, only *.log inside it');
    const all = (await fsList.run({ path: '.', recursive: true, maxEntries: 500 }, ctx())).content.split('\n');
    assert.ok(all.includes('keep/important.log'), 'negated pattern re-includes');
    assert.ok(!all.some((p) => p.startsWith('build') || p.startsWith('logs/app') || p.includes('nested')), all.join(','));
    const capped = (await fsList.run({ path: '.', recursive: true, maxEntries: 2 }, ctx())).content;
    assert.match(capped, /listing capped at 2/);
  });

  it('fs.exists tells files, directories and missing paths apart', async () => {
    assert.deepEqual(JSON.parse((await fsExists.run({ path: 'src' }, ctx())).content).type, 'directory');
    assert.deepEqual(JSON.parse((await fsExists.run({ path: 'nope.txt' }, ctx())).content), { path: 'nope.txt', exists: false });
  });

  it('search.grep finds matches with line numbers, respects .gitignore, skips binaries', async () => {
    const r = (await searchGrep.run({ pattern: 'TODO', maxResults: 200 }, ctx())).content.split('\n');
    assert.deepEqual(r, ['keep/important.log:1:TODO keep', 'src/a.ts:10:line 10 TODO fix', 'src/b.test.ts:1:it("x") // TODO test']);
  });

  it('search.grep supports ignore-case, globs with exclusions, sub-paths and result caps', async () => {
    const ci = (await searchGrep.run({ pattern: 'todo', ignoreCase: true, globs: ['*.ts', '!*.test.ts'], maxResults: 200 }, ctx())).content;
    assert.equal(ci, 'src/a.ts:10:line 10 TODO fix');
    const capped = (await searchGrep.run({ pattern: 'line \\d+', maxResults: 3 }, ctx())).content;
    assert.equal(capped.split('\n').length, 4);
    assert.match(capped, /capped at 3/);
    const sub = (await searchGrep.run({ pattern: 'keep', path: 'keep', maxResults: 200 }, ctx())).content;
    assert.equal(sub, 'keep/important.log:1:TODO keep');
    await assert.rejects(searchGrep.run({ pattern: '(unclosed', maxResults: 5 }, ctx()), (e: any) => e.code === 'TOOL_BAD_PATTERN');
  });

  it('the worker-pool grep and the single-threaded grep agree on a larger tree', async () => {
    for (let i = 0; i < 3000; i++) w(`gen/d${i % 7}/f${i}.txt`, `alpha ${i}\n${i % 97 === 0 ? 'needle here\n' : ''}omega\n`);
    const q = { pattern: 'need\\w+', maxResults: 1000 };
    const a = await grep(ws, q, new AbortController().signal);
    const b = grepSync(ws, q);
    assert.equal(a.matches.length, 31);
    assert.deepEqual(a.matches, b.matches);
    assert.equal(a.filesSearched, b.filesSearched);
  });

  it('extracts a required literal only when every match must contain it', () => {
    assert.equal(requiredLiteral('NEEDLE_\\w+'), 'NEEDLE_');
    assert.equal(requiredLiteral('(abc)?def'), 'def');
    assert.equal(requiredLiteral('foo|bar'), undefined);
    assert.equal(requiredLiteral('colou?r'), 'colo');
    assert.equal(requiredLiteral('getUser\\('), 'getUser(');
  });

  it('search.glob matches paths and respects .gitignore', async () => {
    const r = (await searchGlob.run({ patterns: ['**/*.log', 'src/*.ts'], maxResults: 500 }, ctx())).content.split('\n');
    assert.deepEqual(r, ['keep/important.log', 'src/a.ts', 'src/b.test.ts']);
  });
});
