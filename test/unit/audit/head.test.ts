// The signed head file: two slots, HMAC-checked, a torn or edited slot falls back to the other one.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HeadWriter, readHead } from '../../../core/src/audit/head';
import { loadAuditKey } from '../../../core/src/audit/key';

describe('audit signed head and key', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-head-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates the key 0600 once, refuses a missing key unless asked, and rejects a malformed one', () => {
    const file = path.join(dir, 'keys', 'audit.key');
    assert.throws(
      () => loadAuditKey(file),
      (e: { code?: string }) => e.code === 'AUDIT_KEY_MISSING',
    );
    const k = loadAuditKey(file, { create: true });
    assert.equal(k.length, 32);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(loadAuditKey(file, { create: true }), k);
    fs.writeFileSync(file, 'nothex');
    assert.throws(
      () => loadAuditKey(file),
      (e: { code?: string }) => e.code === 'AUDIT_KEY_INVALID',
    );
  });

  it('reads back the newest valid slot; a torn newest slot falls back to the older one', () => {
    const key = Buffer.alloc(32, 7);
    const file = path.join(dir, 'h');
    assert.deepEqual(readHead(file, key), { type: 'missing' });
    const w = new HeadWriter(file, key, undefined);
    w.write({ logId: 'L', committed: { seq: 1, hash: 'aa'.repeat(32) }, pending: null }, true);
    w.write({ logId: 'L', committed: { seq: 2, hash: 'bb'.repeat(32) }, pending: { seq: 3, hash: 'cc'.repeat(32) } }, false);
    w.dispose();
    const r = readHead(file, key);
    assert.equal(r.type, 'ok');
    assert.deepEqual((r as { head: { committed: unknown; pending: unknown } }).head.pending, { seq: 3, hash: 'cc'.repeat(32) });
    // Counter 2 lives in slot 0; tear it.
    const bytes = fs.readFileSync(file);
    bytes.fill(0x20, 10, 60);
    fs.writeFileSync(file, bytes);
    const back = readHead(file, key);
    assert.deepEqual((back as { head: { committed: unknown } }).head.committed, { seq: 1, hash: 'aa'.repeat(32) });
    assert.equal(readHead(file, Buffer.alloc(32, 8)).type, 'bad-signature');
  });
});
