// `airlock state check|backup|restore` on real store files, and the host's list of stores matching the kernel's.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { stateMain } from '../../../cli/src/commands/state';
import { KERNEL_STORES } from '../../../core/src/store/kernel-stores';
import { listReports } from '../../../core/src/store/recover';
import { listSnapshots } from '../../../core/src/store/snapshots';
import type { IAuditLog } from '../../../core/src/audit/types';
import type { AuditInput } from '../../../protocol/src/audit';
import { SESSIONS_DB, SESSIONS_SCHEMA, SessionStore } from '../../../kernel/src/sessions/store';
import { checkKernelStores, kernelStores } from '../../../kernel/src/store/stores';
import { WORKFLOW_DB } from '../../../kernel/src/workflow/wiring';
import { machineHoldings } from '../../../cli/src/doctor/holdings';

const noEvents = { onEvent: () => ({ dispose() {} }) };

function setup(rows: number): {
  dir: string;
  io: { out: (l: string) => void; err: () => void; readStdin: () => Promise<string>; cwd: string; env: NodeJS.ProcessEnv };
  lines: string[];
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-state-'));
  const s = new SessionStore(dir, noEvents);
  for (let i = 0; i < rows; i++) s.started({ taskId: `t-${i}`, prompt: 'p', provider: 'replay', model: 'm' });
  s.dispose();
  const lines: string[] = [];
  return { dir, lines, io: { out: (l) => lines.push(l), err: () => {}, readStdin: async () => '', cwd: dir, env: {} } };
}

describe('airlock state', function () {
  this.timeout(20_000);

  it("the host's list of stores matches the files, versions and tables the kernel writes", () => {
    const byName = Object.fromEntries(KERNEL_STORES.map((s) => [s.name, s]));
    assert.equal(byName.sessions.file, SESSIONS_DB);
    assert.equal(byName.sessions.version, SESSIONS_SCHEMA.version);
    assert.deepEqual([...byName.sessions.tables], [...SESSIONS_SCHEMA.tables]);
    assert.equal(byName.workflow.file, WORKFLOW_DB);
  });

  it('backup snapshots every store, check reports them sound, restore refuses while the kernel runs', async () => {
    const { dir, io, lines } = setup(5);
    const deps = (running: boolean) => ({ stateDir: () => dir, kernelRunning: async () => running, kernelName: () => 'airlock-kernel-x' });
    assert.equal(await stateMain(['backup'], io, deps(true)), 0, 'an online backup works beside a running kernel');
    assert.equal(listSnapshots(path.join(dir, 'sessions.db')).length, 1);
    assert.equal(await stateMain(['check'], io, deps(true)), 0);
    assert.ok(
      lines.some((l) => /^✔ sessions\s+sound; 1 snapshot/.test(l)),
      lines.join('\n'),
    );
    await assert.rejects(stateMain(['restore', 'sessions'], io, deps(true)), (e: { code?: string }) => e.code === 'STATE_KERNEL_RUNNING');
    await assert.rejects(stateMain(['restore', 'nope'], io, deps(false)), (e: { code?: string }) => e.code === 'CLI_USAGE');
  });

  it('check fails on a damaged store; restore puts the newest snapshot back, keeps the file, and the kernel audits it at start', async () => {
    const { dir, io, lines } = setup(5);
    const deps = { stateDir: () => dir, kernelRunning: async () => false, kernelName: () => 'k' };
    await stateMain(['backup'], io, deps);
    const s = new SessionStore(dir, noEvents);
    for (let i = 5; i < 8; i++) s.started({ taskId: `t-${i}`, prompt: 'p', provider: 'replay', model: 'm' });
    s.dispose();
    const db = new Database(path.join(dir, 'sessions.db'));
    db.pragma('user_version = 7');
    db.close();
    assert.equal(await stateMain(['check'], io, deps), 1);
    assert.ok(
      lines.some((l) => l.startsWith('✘ sessions  schema: schema version 7')),
      lines.join('\n'),
    );
    assert.equal(await stateMain(['restore', 'sessions'], io, deps), 0);
    assert.match(lines.join('\n'), /restored sessions from .*; lost: every change after .*sessions 8 → 5/);
    const [report] = listReports(dir);
    assert.equal(report.problem, 'manual');
    assert.equal(report.recordedInAudit, false);
    assert.ok(report.movedTo && fs.existsSync(report.movedTo), 'the replaced file is kept');
    const entries: AuditInput[] = [];
    const audit = {
      append: async (i: AuditInput) => {
        entries.push(i);
      },
    } as unknown as IAuditLog;
    assert.deepEqual(
      await checkKernelStores(dir, kernelStores(dir), { audit: () => audit, warn: () => {} }),
      [],
      'the restored store is sound',
    );
    assert.deepEqual(
      entries.map((e) => e.action),
      ['store.restored'],
    );
    assert.equal(listReports(dir)[0].recordedInAudit, true);
  });

  it('doctor counts the state folders and the disk they use', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-hold-'));
    fs.mkdirSync(path.join(base, 'ws-0123456789ab', 'state'), { recursive: true });
    fs.writeFileSync(path.join(base, 'ws-0123456789ab', 'state', 'x.db'), Buffer.alloc(5000));
    fs.mkdirSync(path.join(base, 'not-a-workspace'));
    const h = await machineHoldings(undefined, base);
    assert.deepEqual(h, { state: { root: base, workspaces: 1, bytes: 5000 } });
  });
});
