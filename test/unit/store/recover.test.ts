// Store corruption on real SQLite files of each kernel store (not audit.db): detection, restore, and the loss stated.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { checkStoreFile, lostWalFrames } from '../../../core/src/store/check';
import { recoverStore } from '../../../core/src/store/recover';
import { listSnapshots, takeSnapshot } from '../../../core/src/store/snapshots';
import type { IAuditLog } from '../../../core/src/audit/types';
import type { AuditInput } from '../../../protocol/src/audit';
import { checkKernelStores, kernelStores } from '../../../kernel/src/store/stores';
import { SessionStore } from '../../../kernel/src/sessions/store';
import { WorkflowStore } from '../../../kernel/src/workflow/store';

const noEvents = { onEvent: () => ({ dispose() {} }) };

/** Writes `n` more rows through the store's own class (so the files are exactly what the kernel writes). */
interface Kind {
  name: 'workflow' | 'sessions';
  open(stateDir: string): { write(from: number, n: number): void; count(): number; close(): void };
}

const KINDS: Kind[] = [
  {
    name: 'workflow',
    open(dir) {
      const s = new WorkflowStore(path.join(dir, 'workflow.db'));
      return {
        write: (from, n) => {
          for (let i = from; i < from + n; i++) {
            s.append({
              sessionId: `wf-${i}`,
              kind: 'create',
              mode: 'explore',
              from: null,
              to: 'editing',
              actor: 'person',
              at: 1_700_000_000_000 + i,
              detail: { data: { watchedTests: [], exemption: null, debtUsedPct: 0, held: null as never }, note: 'x'.repeat(200) },
            });
          }
        },
        count: () => s.all().length,
        close: () => s.dispose(),
      };
    },
  },
  {
    name: 'sessions',
    open(dir) {
      const s = new SessionStore(dir, noEvents);
      return {
        write: (from, n) => {
          for (let i = from; i < from + n; i++)
            s.started({ taskId: `t-${i}`, prompt: `prompt ${i} ${'p'.repeat(200)}`, provider: 'replay', model: 'm' });
        },
        count: () => s.list(100_000).length,
        close: () => s.dispose(),
      };
    },
  },
];

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-store-'));
const specOf = (dir: string, name: string) => kernelStores(dir).find((s) => s.name === name)!;

/** 40 rows, a snapshot, 20 more rows, closed cleanly: the store file holds 60, its newest snapshot 40. */
async function seeded(kind: Kind): Promise<{ dir: string; file: string; snapAt: number }> {
  const dir = tmp();
  const st = kind.open(dir);
  st.write(0, 40);
  st.close();
  const file = specOf(dir, kind.name).file;
  const snap = await takeSnapshot(file, 'periodic');
  const again = kind.open(dir);
  again.write(40, 20);
  again.close();
  return { dir, file, snapAt: snap.at };
}

function damage(file: string, how: 'truncated' | 'corrupt-page' | 'schema'): void {
  if (how === 'truncated') fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
  if (how === 'corrupt-page') {
    // Overwrite the middle of the file: whole b-tree pages become garbage.
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, Math.floor(size / 2 / 4096) * 4096);
    fs.closeSync(fd);
  }
  if (how === 'schema') {
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
  }
}

describe('store recovery (workflow.db, sessions.db)', function () {
  this.timeout(30_000);

  for (const kind of KINDS) {
    describe(kind.name, () => {
      for (const how of ['truncated', 'corrupt-page', 'schema'] as const) {
        it(`${how}: detected, moved aside, the newest good snapshot restored, the loss stated`, async () => {
          const { dir, file, snapAt } = await seeded(kind);
          const spec = specOf(dir, kind.name);
          assert.equal(checkStoreFile(spec).ok, true, 'sound before the damage');
          damage(file, how);
          const bytes = fs.readFileSync(file);
          const check = checkStoreFile(spec);
          assert.equal(check.ok, false);
          if (!check.ok) assert.equal(check.problem, how === 'schema' ? 'schema' : 'corrupt');
          const r = recoverStore(spec)!;
          assert.ok(r, 'a recovery happened');
          assert.deepEqual(r.snapshot?.at, snapAt);
          // The damaged file is kept byte for byte for inspection.
          assert.ok(r.movedTo && fs.readFileSync(r.movedTo).equals(bytes));
          assert.match(r.lost, new RegExp(`every change after ${new Date(snapAt).toISOString()}`));
          if (how === 'schema') assert.match(r.lost, /→ 40/, 'counts rows the damaged file held against the restored ones');
          // The report stays beside the damaged file; the store opens with the snapshot's 40 rows.
          assert.ok(fs.readdirSync(path.join(dir, 'damaged')).some((n) => n.startsWith(`${kind.name}.`) && n.endsWith('.json')));
          const st = kind.open(dir);
          assert.equal(st.count(), 40);
          st.close();
          assert.equal(recoverStore(spec), undefined, 'sound after the restore');
        });
      }

      it('missing WAL: the lost transactions are detected, and a newer snapshot wins over the older main file', async () => {
        const dir = tmp();
        const st = kind.open(dir);
        st.write(0, 30);
        const file = specOf(dir, kind.name).file;
        const snap = await takeSnapshot(file, 'periodic'); // reads through the WAL: it holds all 30 rows
        st.write(30, 10);
        // A crash copy without its -wal: the main file is as of the last checkpoint (older than the snapshot).
        const crash = tmp();
        for (const s of ['', '-shm']) fs.copyFileSync(file + s, path.join(crash, path.basename(file) + s));
        fs.cpSync(path.join(dir, 'snapshots'), path.join(crash, 'snapshots'), { recursive: true });
        st.close();
        const cfile = path.join(crash, path.basename(file));
        fs.utimesSync(cfile, new Date(snap.at - 60_000), new Date(snap.at - 60_000));
        assert.ok(lostWalFrames(cfile) > 0, 'the index names frames the missing WAL held');
        const r = recoverStore(specOf(crash, kind.name))!;
        assert.equal(r.problem, 'wal-lost');
        assert.equal(r.snapshot?.at, snap.at);
        assert.match(r.lost, /every change after/);
        const again = kind.open(crash);
        assert.equal(again.count(), 30);
        again.close();
      });

      it('missing WAL without a newer snapshot: the main file is kept and the lost page writes are stated', async () => {
        const dir = tmp();
        const st = kind.open(dir);
        st.write(0, 10);
        const file = specOf(dir, kind.name).file;
        const crash = tmp();
        for (const s of ['', '-shm']) fs.copyFileSync(file + s, path.join(crash, path.basename(file) + s));
        st.close();
        const r = recoverStore(specOf(crash, kind.name))!;
        assert.equal(r.problem, 'wal-lost');
        assert.equal(r.snapshot, null);
        assert.equal(r.movedTo, null);
        assert.match(r.lost, /^\d+ page write\(s\) committed after \S+ \(the last checkpoint\); the file as of then is kept/);
        assert.equal(fs.existsSync(path.join(crash, path.basename(file) + '-shm')), false, 'the stale index is set aside');
        assert.equal(recoverStore(specOf(crash, kind.name)), undefined);
      });

      it('restores the newest snapshot that is itself good, and says so when none is', async () => {
        const { dir, file } = await seeded(kind);
        const older = listSnapshots(file)[0];
        const a2 = kind.open(dir);
        a2.write(60, 5);
        a2.close();
        const newest = await takeSnapshot(file, 'periodic');
        assert.ok(newest.at > older.at);
        damage(newest.file, 'corrupt-page');
        damage(file, 'corrupt-page');
        const r = recoverStore(specOf(dir, kind.name))!;
        assert.equal(r.snapshot?.at, older.at, 'the damaged newer snapshot is skipped');
        for (const s of listSnapshots(file)) fs.rmSync(s.file);
        damage(file, 'schema');
        const none = recoverStore(specOf(dir, kind.name))!;
        assert.equal(none.snapshot, null);
        assert.match(none.lost, /everything in the store: no good snapshot/);
        const fresh = kind.open(dir);
        assert.equal(fresh.count(), 0);
        fresh.close();
      });
    });
  }

  it('a broken workflow chain (rows edited outside Airlock) counts as damage', async () => {
    const { dir, file } = await seeded(KINDS[0]);
    const db = new Database(file);
    db.prepare("UPDATE wf_transitions SET to_state = 'merged' WHERE seq = 50").run();
    db.close();
    const r = recoverStore(specOf(dir, 'workflow'))!;
    assert.equal(r.problem, 'chain');
    assert.ok(r.snapshot);
  });

  it('the kernel records each recovery in the audit log before the store is used, and warns', async () => {
    const { dir, file } = await seeded(KINDS[1]);
    damage(file, 'schema');
    const entries: AuditInput[] = [];
    const audit = {
      append: async (i: AuditInput, o?: { sync?: boolean }) => {
        assert.equal(o?.sync, true);
        entries.push(i);
      },
    } as unknown as IAuditLog;
    const warnings: string[] = [];
    const out = await checkKernelStores(dir, kernelStores(dir), { audit: () => audit, warn: (l) => warnings.push(l) });
    assert.equal(out.length, 1);
    assert.equal(entries.length, 1);
    assert.equal(entries[0].action, 'store.restored');
    assert.equal(entries[0].resource, 'sessions.db');
    const p = entries[0].payload as { snapshotAt: number; lost: string; movedTo: string };
    assert.equal(p.snapshotAt, out[0].snapshot!.at);
    assert.match(p.lost, /every change after/);
    assert.match(warnings[0], /store sessions \(sessions\.db\) was damaged \(schema: schema version 99/);
    // Sound stores, and the report already recorded: nothing recorded again.
    entries.length = 0;
    assert.deepEqual(await checkKernelStores(dir, kernelStores(dir), { audit: () => audit, warn: () => {} }), []);
    assert.equal(entries.length, 0);
  });

  it('a recovery made while the audit log was unavailable is recorded at the next start that has one', async () => {
    const { dir, file } = await seeded(KINDS[0]);
    damage(file, 'corrupt-page');
    const warnings: string[] = [];
    await checkKernelStores(dir, kernelStores(dir), { audit: () => undefined, warn: (l) => warnings.push(l) });
    assert.match(warnings.join('\n'), /1 store recovery report\(s\) not in the audit log yet/);
    const entries: AuditInput[] = [];
    const audit = {
      append: async (i: AuditInput) => {
        entries.push(i);
      },
    } as unknown as IAuditLog;
    assert.deepEqual(await checkKernelStores(dir, kernelStores(dir), { audit: () => audit, warn: () => {} }), []);
    assert.deepEqual(
      entries.map((e) => [e.action, e.resource]),
      [['store.restored', 'workflow.db']],
    );
  });
});
