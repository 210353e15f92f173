// Execute-only files get mode 0111 in the image archive while staying readable on disk: a normal user's build must not
// drop them (tar cannot read a 0111 file of its own user), and root-owned archives say root for every entry.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeRootfsTar } from '../../../templates/builder/rootfs-tar';

function listing(tarFile: string): Map<string, string> {
  const out = spawnSync('tar', ['-tvf', tarFile, '--numeric-owner'], { encoding: 'utf8' }).stdout.trim().split('\n');
  return new Map(
    out.map((l) => {
      const f = l.split(/\s+/);
      return [f[f.length - 1], `${f[0]} ${f[1]}`] as [string, string];
    }),
  );
}

describe('image archives', () => {
  it('archives execute-only files as ---x--x--x (once), keeps them readable on disk, and can say root owns everything', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-rootfs-'));
    fs.mkdirSync(path.join(dir, 'usr', 'bin'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'usr', 'bin', 'tini'), 'x', { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'usr', 'bin', 'other'), 'y', { mode: 0o755 });
    const out = `${dir}.tar`;
    writeRootfsTar(dir, out, { executeOnly: ['/usr/bin/tini'], rootOwned: true });
    const l = listing(out);
    assert.match(l.get('./usr/bin/tini') ?? '', /^---x--x--x 0\/0$/);
    assert.match(l.get('./usr/bin/other') ?? '', /^-rwxr-xr-x 0\/0$/);
    const entries = spawnSync('tar', ['-tf', out], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((n) => n === './usr/bin/tini');
    assert.equal(entries.length, 1, 'the execute-only file is archived once');
    assert.equal(fs.statSync(path.join(dir, 'usr', 'bin', 'tini')).mode & 0o777, 0o755, 'on disk it stays readable');
    assert.throws(() => writeRootfsTar(dir, out, { executeOnly: ['/usr/libexec/airlock/node'] }), /missing/);
  });
});
