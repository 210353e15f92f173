// Path and resource normalisation: lexical rules, workspace mapping, symlinks, refusals.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { normaliseHostPort, normalisePath, normalisePathLexical } from '../../../core/src/policy/normalise';
import { tempDir } from './helpers';

const ok = (r: ReturnType<typeof normalisePath>) => {
  assert.ok(r.ok, !r.ok ? r.reason : '');
  return r.value;
};

describe('policy normalisation', () => {
  it('collapses ., .., repeated and trailing slashes; NFC', () => {
    assert.equal(ok(normalisePathLexical('./src//a/../b/')), 'src/b');
    assert.equal(ok(normalisePathLexical('.')), '.');
    assert.equal(ok(normalisePathLexical('src/.')), 'src');
    assert.equal(ok(normalisePathLexical('/../etc//passwd')), '/etc/passwd');
    assert.equal(ok(normalisePathLexical('u\u0308.txt')), '\u00fc.txt');
  });
  it('refuses escapes, NUL, control characters and over-long paths', () => {
    assert.match((normalisePathLexical('a/../../b') as { reason: string }).reason, /escapes/);
    assert.match((normalisePathLexical('a\0b') as { reason: string }).reason, /NUL/);
    assert.match((normalisePathLexical('a\nb') as { reason: string }).reason, /control/);
    assert.match((normalisePathLexical('a/'.repeat(3000)) as { reason: string }).reason, /over-long/);
    assert.equal(normalisePathLexical('').ok, false);
  });
  it('maps absolute paths inside the workspace and resolves symlinks', () => {
    const ws = tempDir();
    const outside = tempDir();
    fs.mkdirSync(path.join(ws, 'src'));
    fs.writeFileSync(path.join(ws, 'src/a.ts'), '');
    fs.symlinkSync(path.join(ws, 'src'), path.join(ws, 'link'));
    fs.symlinkSync(outside, path.join(ws, 'out'));
    assert.equal(ok(normalisePath(path.join(ws, 'src/a.ts'), ws)), 'src/a.ts');
    assert.equal(ok(normalisePath(ws, ws)), '.');
    assert.equal(ok(normalisePath('link/a.ts', ws)), 'src/a.ts');
    assert.equal(ok(normalisePath('link/new/file.ts', ws)), 'src/new/file.ts', 'a missing file resolves through its existing parent');
    assert.match((normalisePath('out/x', ws) as { reason: string }).reason, /symlink/);
    const abs = normalisePath('/etc/hosts', ws);
    assert.ok(abs.ok && abs.absolute);
  });
  it('normalises host:port and refuses other shapes', () => {
    assert.equal(ok(normaliseHostPort('Registry.NPMJS.org:443')), 'registry.npmjs.org:443');
    for (const bad of ['example.com', 'example.com:0', 'example.com:70000', 'a b:80', 'http://x:80'])
      assert.equal(normaliseHostPort(bad).ok, false, bad);
  });
});
