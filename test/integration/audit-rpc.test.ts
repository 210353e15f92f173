// The audit methods over typed RPC: paged query with filters, verify, stats, bad params refused, appended events pushed.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { RpcClient } from '../../protocol/src/rpc-client';
import { ServerConnection } from '../../protocol/src/rpc-server';
import { createInProcessPair } from '../../protocol/src/transport';
import { KernelAudit } from '../../kernel/src/audit/startup';
import { EventBus } from '../../kernel/src/event-bus';
import { auditHandlers } from '../../kernel/src/handlers/registry';
import { type LogFiles, populatedLog, rmLog, withDb } from './audit-fixture';

describe('audit RPC methods', function () {
  this.timeout(30_000);
  let files: LogFiles;
  let audit: KernelAudit;
  let client: RpcClient;
  let conn: ServerConnection;
  const events = new EventBus();
  const pushed: unknown[] = [];

  before(async () => {
    files = await populatedLog(300);
    audit = await KernelAudit.start(files, events);
    const [c, s] = createInProcessPair();
    conn = new ServerConnection(s, { handlers: auditHandlers({ audit }), kernel: { version: 'test', pid: process.pid, startedAt: 0 } });
    events.onEvent((e) => conn.emit(e.name, e.data as never));
    client = new RpcClient(c);
    client.onEvent('audit/appended', (d) => pushed.push(d));
    await client.handshake({ name: 'test', version: '0' });
  });
  after(() => {
    client.dispose();
    conn.dispose();
    audit.dispose();
    rmLog(files);
  });

  it('pages through a filtered query with a cursor', async () => {
    const first = await client.request('audit/query', { decision: 'deny', limit: 4 });
    assert.deepEqual(
      first.entries.map((e) => e.seq),
      [300, 280, 260, 240],
    );
    const next = await client.request('audit/query', { decision: 'deny', limit: 4, cursor: first.nextCursor });
    assert.deepEqual(
      next.entries.map((e) => e.seq),
      [220, 200, 180, 160],
    );
    assert.equal(next.entries[0].ruleIds[0], 'r.one');
    await assert.rejects(client.request('audit/query', { limit: 100_000 }), (e: { code?: string }) => e.code === 'RPC_BAD_PARAMS');
  });

  it('verifies and reports stats; a new entry is announced as audit/appended', async () => {
    const v = await client.request('audit/verify', {});
    assert.equal(v.type, 'intact');
    audit.writer.append({ subject: 'agent', action: 'tool.call', resource: 'late' });
    const s = await client.request('audit/stats', {});
    // 300 + kernel.start in the database; the new one still in the buffer (query flushes, stats does not).
    assert.deepEqual([s.entries, s.bufferedEntries], [301, 1]);
    assert.equal(s.verification?.type, 'intact');
    assert.ok(s.dbBytes > 0 && s.dbPath === files.dbPath);
    const q = await client.request('audit/query', { limit: 1, payloads: true });
    assert.equal(q.entries[0].resource, 'late');
    await new Promise((r) => setTimeout(r, 400));
    assert.ok(
      pushed.some((p) => (p as { lastSeq: number }).lastSeq === 302),
      JSON.stringify(pushed),
    );
  });

  it('verify over RPC reports tampering with the entry number', async () => {
    withDb(files, (db) => db.prepare(`UPDATE entries SET resource = 'x' WHERE seq = 42`).run());
    const v = await client.request('audit/verify', {});
    assert.deepEqual([v.type, (v as { seq?: number }).seq], ['tampered', 42]);
    const s = await client.request('audit/stats', {});
    assert.equal(s.verification?.type, 'tampered');
    assert.equal(audit.sessionsAllowed, false);
  });
});
