// The audit log's tail and identity are anchored: truncation, rollback and wipe-and-restart are refused; reset is recorded.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { AirlockError } from '../../../protocol/src/errors';
import { methods } from '../../../protocol/src/methods';
import { anchorFile, readAnchor, syncAnchor } from '../../../protocol/src/node/audit-anchor';
import type { RequestContext } from '../../../protocol/src/rpc-server';
import { AuditLog } from '../../../core/src/audit/log';
import { KernelAudit } from '../../../kernel/src/audit/startup';
import { auditPaths } from '../../../core/src/audit/types';
import { verifyAuditLog } from '../../../core/src/audit/verify';
import { auditHandlers } from '../../../kernel/src/handlers/registry';
import { audit as auditCommand } from '../../../cli/src/commands/audit';
import type { CliIO } from '../../../cli/src/command';
import { resetAuditLog } from '../../../cli/src/audit-reset';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-anchor-'));
const open = (state: string) => AuditLog.open({ ...auditPaths(state), writer: 'inline' });

async function appendN(log: AuditLog, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await log.append({ subject: 'test', action: 'test.step', resource: String(i) }, { sync: true });
}

/** The host's view of a kernel: `audit/head` through the real handler, its result checked against the protocol schema. */
function hostClient(log: AuditLog) {
  const h = auditHandlers({ audit: { writer: log } });
  return {
    request: async (m: 'audit/head', p: { at?: number }) => methods[m][1].parse(await h[m]!(methods[m][0].parse(p), {} as RequestContext)),
  } as never;
}

const code = (c: string) => (e: unknown) => e instanceof AirlockError && e.code === c;

describe('audit log tail and identity', () => {
  it('newest rows deleted and an older head file restored: verify and the kernel refuse it', async () => {
    const state = tmp();
    const p = auditPaths(state);
    let log = open(state);
    await appendN(log, 5);
    log.flush();
    const oldHead = fs.readFileSync(p.headPath);
    await appendN(log, 5);
    log.dispose();
    const db = new Database(p.dbPath);
    db.prepare('DELETE FROM entries WHERE seq > 5').run();
    db.close();
    fs.writeFileSync(p.headPath, oldHead);
    const r = await verifyAuditLog(p);
    assert.equal(r.type, 'tampered');
    assert.deepEqual(r.type === 'tampered' && [r.reason, r.seq], ['truncated', 6]);
    log = open(state);
    assert.equal(log.broken, true);
    log.dispose();
    const k = await KernelAudit.start({ ...p, writer: 'inline' });
    assert.equal(k.sessionsAllowed, false);
    assert.throws(() => k.assertSessionsAllowed(), /entries 6\.\.10 were removed/);
    k.dispose();
  });

  it('the host anchor refuses a wiped-and-restarted log and an older consistent copy; it moves forward otherwise', async () => {
    const root = tmp();
    const state = path.join(root, 'state');
    const file = anchorFile(root);
    let log = open(state);
    await appendN(log, 3);
    assert.deepEqual((await syncAnchor(hostClient(log), file)).seq, 3, 'first contact anchors the log');
    log.dispose();
    const backup = tmp();
    for (const f of fs.readdirSync(state)) if (f.startsWith('audit.db')) fs.copyFileSync(path.join(state, f), path.join(backup, f));
    log = open(state);
    await appendN(log, 4);
    const anchored = await syncAnchor(hostClient(log), file);
    assert.equal(anchored.seq, 7);
    log.dispose();

    // An older copy of the whole log (database and head from the same moment) verifies, but the host saw more.
    for (const f of fs.readdirSync(backup)) fs.copyFileSync(path.join(backup, f), path.join(state, f));
    for (const f of ['audit.db-wal', 'audit.db-shm'])
      if (!fs.existsSync(path.join(backup, f))) fs.rmSync(path.join(state, f), { force: true });
    assert.equal((await verifyAuditLog(auditPaths(state))).type, 'intact');
    log = open(state);
    await assert.rejects(syncAnchor(hostClient(log), file), code('AUDIT_ROLLBACK'));
    log.dispose();

    // Database, head and key deleted: the kernel starts a fresh log without complaint, the host does not.
    for (const f of [...fs.readdirSync(state).filter((f) => f.startsWith('audit.db')), 'keys/audit.key'])
      fs.rmSync(path.join(state, f), { force: true });
    log = open(state);
    await appendN(log, 1);
    await assert.rejects(
      syncAnchor(hostClient(log), file),
      (e: AirlockError) => code('AUDIT_REPLACED')(e) && /audit reset --confirm/.test(e.hint ?? ''),
    );
    assert.deepEqual(readAnchor(file), anchored, 'a refused log never moves the anchor');
    log.dispose();
  });

  it('`airlock audit reset --confirm` starts a new log whose first entry records the old one, and re-anchors the host', async () => {
    const root = tmp();
    const state = path.join(root, 'state');
    const file = anchorFile(root);
    let log = open(state);
    await appendN(log, 4);
    const old = await syncAnchor(hostClient(log), file);
    log.dispose();
    const r = await resetAuditLog({ ...auditPaths(state), anchorFile: file });
    assert.ok(r.archivedTo && fs.existsSync(path.join(r.archivedTo, 'audit.db')) && fs.existsSync(path.join(r.archivedTo, 'audit.key')));
    assert.notEqual(r.logId, old.logId);
    log = open(state);
    const first = log.query({ order: 'asc', payloads: true }).entries[0];
    assert.deepEqual([first.seq, first.action, first.subject], [1, 'audit.reset', 'cli']);
    const payload = first.payload as {
      previous: { logId: string; seq: number };
      anchor: { logId: string; seq: number };
      verification: { type: string };
    };
    assert.deepEqual(
      [payload.previous.logId, payload.previous.seq, payload.anchor.seq, payload.verification.type],
      [old.logId, 4, 4, 'intact'],
    );
    assert.equal((await syncAnchor(hostClient(log), file)).logId, r.logId, 'the host accepts the new log');
    log.dispose();
    assert.equal((await verifyAuditLog(auditPaths(state))).type, 'intact');
  });

  it('the reset command refuses without --confirm and works through the CLI', async () => {
    const home = tmp();
    const ws = path.join(home, 'ws');
    fs.mkdirSync(ws);
    const out: string[] = [];
    const env = {
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, 'cfg'),
      AIRLOCK_STATE_ROOT: path.join(home, 'st'),
      AIRLOCK_ENGINE_SOCKET: path.join(home, 'no-engine.sock'),
    };
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l), cwd: ws, env } as unknown as CliIO;
    await assert.rejects(auditCommand.run(['reset'], io), code('CLI_USAGE'));
    assert.equal(await auditCommand.run(['reset', '--confirm', '--json'], io), 0);
    const r = JSON.parse(out.at(-1)!) as { logId: string; previous: null };
    assert.equal(r.previous, null);
    const anchors = fs.readdirSync(path.join(home, 'st')).map((d) => readAnchor(anchorFile(path.join(home, 'st', d))));
    assert.deepEqual(
      anchors.map((a) => [a?.logId, a?.seq]),
      [[r.logId, 1]],
    );
  });
});
