// Kept contents: a set's full-file contents are copied into the state dir (sparse, bounded, verified) at generation,
// so the output dir can go (a tmpfs a kernel restart empties) and review, blobs and export still work.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PatchService } from '../../../kernel/src/patches/service';
import { rm, tempDir, whiteout, writeTree } from './helpers';

const MiB = 1024 * 1024;

describe('patches: kept contents of a set', () => {
  let base: string;
  let ws: string;
  let up: string;
  beforeEach(() => {
    base = tempDir('airlock-keep-');
    ws = path.join(base, 'ws');
    up = path.join(base, 'upper');
    writeTree(ws, { 'old.txt': 'moved content\n', 'a.txt': 'a\n' });
    writeTree(up, { 'a.txt': 'A\n', 'pic.bin': Buffer.from([0, 1, 2, 255]), 'new/old-moved.txt': 'moved content\n' });
    fs.mkdirSync(path.join(up, 'x'));
  });
  afterEach(() => rm(base));
  const service = (keepBytes?: number) =>
    new PatchService({ stateDir: path.join(base, 'state'), workspace: ws, keepBytes, audit: { record: () => undefined } });

  it('serves binary and renamed contents from the state dir after the output dir is gone', async () => {
    whiteout(up, 'old.txt'); // deleted here, its content added at new/old-moved.txt: a rename
    const svc = service();
    const set = await svc.generate({ type: 'overlay', upper: up });
    assert.deepEqual(
      set.files.map((f) => `${f.type} ${f.path}`),
      ['modify a.txt', 'rename new/old-moved.txt', 'binary pic.bin'],
    );
    const [, moved, pic] = set.files;
    assert.ok(pic.type === 'binary' && moved.type === 'rename');
    rm(up);
    assert.deepEqual([...svc.readBlob(set.id, pic.newHash, 0, 100)], [0, 1, 2, 255]);
    assert.equal(svc.readBlob(set.id, moved.baseHash, 0, 100).toString(), 'moved content\n');
    assert.match(svc.exportGit(set.id), /GIT binary patch/);
    assert.equal(svc.show(set.id).sourceDir, path.join(base, 'state', 'patches', 'files', set.id));
  });

  it('keeps a sparse or zero-filled file sparse (holes cost no blocks)', async () => {
    const fd = fs.openSync(path.join(up, 'disk.img'), 'w');
    fs.writeSync(fd, Buffer.from('head'), 0, 4, 0);
    fs.writeSync(fd, Buffer.alloc(3 * MiB), 0, 3 * MiB, 4); // real zeros, written
    fs.writeSync(fd, Buffer.from('tail'), 0, 4, 64 * MiB); // then a hole
    fs.closeSync(fd);
    const svc = service();
    const set = await svc.generate({ type: 'overlay', upper: up });
    const img = set.files.find((f) => f.path === 'disk.img');
    assert.ok(img?.type === 'binary' && img.size === 64 * MiB + 4);
    const kept = path.join(svc.show(set.id).sourceDir, 'disk.img');
    assert.equal(fs.statSync(kept).size, 64 * MiB + 4);
    assert.ok(fs.statSync(kept).blocks * 512 <= 2 * MiB + 64 * 1024, `kept copy allocates ${fs.statSync(kept).blocks * 512} bytes`);
    rm(up);
    assert.equal(svc.readBlob(set.id, img.newHash, 64 * MiB, 10).toString(), 'tail');
    assert.equal(svc.readBlob(set.id, img.newHash, 0, 4).toString(), 'head');
  });

  it('blocks full-file contents past the keep limit with a reason; the rest of the set stays reviewable', async () => {
    writeTree(up, { 'big.bin': crypto.randomBytes(2 * MiB) });
    const svc = service(MiB);
    const set = await svc.generate({ type: 'overlay', upper: up });
    assert.deepEqual(
      set.files.map((f) => `${f.type} ${f.path}`),
      ['modify a.txt', 'add new/old-moved.txt', 'binary pic.bin'],
    );
    assert.deepEqual(
      set.blocked.map((b) => b.path),
      ['big.bin'],
    );
    assert.match(set.blocked[0].reason, /too large to keep \(a patch set keeps at most 1048576 bytes of full-file content for review\)/);
    assert.equal(set.stats.files, 3);
    assert.equal(fs.existsSync(path.join(svc.show(set.id).sourceDir, 'big.bin')), false);
    assert.deepEqual(svc.show(set.id).set, JSON.parse(JSON.stringify(set)), 'the stored set is the one returned');
  });
});
