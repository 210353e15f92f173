// Record, then act: at every site that changes security state, an audit log that cannot record leaves the state as it was.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { AirlockError } from '../../../protocol/src/errors';
import type { RequestContext } from '../../../protocol/src/rpc-server';
import { AuditLog } from '../../../core/src/audit/log';
import { schedulerHandlers, workflowHandlers } from '../../../kernel/src/handlers/registry';
import { approve as taskApprove } from '../../../kernel/src/handlers/task/approve';
import { cancel as taskCancel } from '../../../kernel/src/handlers/task/cancel';
import { KernelAudit } from '../../../kernel/src/audit/startup';
import { patchAuditSink } from '../../../kernel/src/patches/audit-sink';
import { PatchService } from '../../../kernel/src/patches/service';
import { Scheduler } from '../../../kernel/src/scheduler/scheduler';
import { WorkflowService } from '../../../kernel/src/workflow/machine';
import { writeTree, whiteout } from '../patches/helpers';

type Breakage = 'closed' | 'write-fails';
const ctx = { signal: new AbortController().signal } as RequestContext;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-rta-'));

function openLog(dir = tmp()): AuditLog {
  return AuditLog.open({ dbPath: path.join(dir, 'audit.db'), keyPath: path.join(dir, 'keys', 'audit.key'), writer: 'inline' });
}

/** A real log whose appends fail: closed (refused at once), or its commits fail (the entries table is gone). */
function broken(log: AuditLog, how: Breakage): void {
  if (how === 'closed') {
    log.dispose();
    return;
  }
  log.flush();
  const db = new Database(log.dbPath);
  db.exec('ALTER TABLE entries RENAME TO entries_gone');
  db.close();
}

const isAuditError = (e: unknown) =>
  e instanceof AirlockError && /^AUDIT_/.test(e.code) && /not recorded, so nothing was changed/.test(e.message);

for (const how of ['closed', 'write-fails'] as const) {
  describe(`record, then act (${how === 'closed' ? 'the log is closed' : 'its commits fail'})`, () => {
    let log: AuditLog;
    beforeEach(() => {
      log = openLog();
    });
    afterEach(() => log.dispose());

    it('review decisions and merge records are not saved', async () => {
      const base = tmp();
      const ws = path.join(base, 'ws');
      const up = path.join(base, 'up');
      writeTree(ws, { 'a.txt': 'one\n', 'b.txt': 'two\n' });
      writeTree(up, { 'a.txt': 'ONE\n' });
      whiteout(up, 'b.txt');
      const svc = new PatchService({ stateDir: path.join(base, 'state'), workspace: ws, audit: patchAuditSink(() => log) });
      const set = await svc.generate({ type: 'overlay', upper: up });
      await svc.decide({ setId: set.id, items: [{ path: 'b.txt', decision: 'reject' }] });
      const before = JSON.stringify(svc.show(set.id));
      broken(log, how);
      await assert.rejects(svc.decide({ setId: set.id, items: [{ path: 'a.txt', decision: 'accept' }] }), isAuditError);
      await assert.rejects(
        svc.merged(set.id, { mergeId: 'm1', outcome: 'merged', paths: ['a.txt'], completePaths: ['a.txt'] }),
        isAuditError,
      );
      await assert.rejects(
        svc.autoMerge(
          set.id,
          { enabled: true, paths: ['**'], requireTestsPassed: false, modes: ['explore'], allowDeletes: true, allowBinary: true },
          { mode: 'explore' },
        ),
        isAuditError,
      );
      assert.equal(JSON.stringify(svc.show(set.id)), before);
      // A new set is not offered for review either.
      await assert.rejects(svc.generate({ type: 'overlay', upper: up }), isAuditError);
      assert.deepEqual(
        svc.list().map((x) => x.id),
        [set.id],
      );
    });

    it('workflow transitions, waivers, mode switches, refusals and new sessions are not stored', async () => {
      const wf = new WorkflowService({ dbPath: path.join(tmp(), 'wf.db'), audit: () => log });
      const h = workflowHandlers({ workflow: wf });
      wf.create('s', 'strict');
      wf.create('e', 'explore');
      const history = wf.history(undefined, 100).length;
      broken(log, how);
      const waiver = { sessionId: 's', to: 'green' as const, evidence: { waiver: { reason: 'prototype' } } };
      await assert.rejects(Promise.resolve(h['workflow/transition']!(waiver, ctx)), isAuditError);
      await assert.rejects(Promise.resolve(h['workflow/transition']!({ sessionId: 'e', to: 'review' }, ctx)), isAuditError);
      await assert.rejects(Promise.resolve(h['workflow/setMode']!({ sessionId: 'e', mode: 'strict', reason: 'risky' }, ctx)), isAuditError);
      // A refusal is recorded too (it stores the guard's effects): unrecorded, it is not stored either.
      await assert.rejects(Promise.resolve(h['workflow/transition']!({ sessionId: 'e', to: 'merged' }, ctx)), isAuditError);
      // A new session is recorded buffered for synchronous callers (a closed log refuses it at once); a task's start
      // uses createDurable, which a failing disk write refuses too.
      if (how === 'closed') assert.throws(() => wf.create('n', 'explore'), isAuditError);
      await assert.rejects(wf.createDurable('d', 'explore'), isAuditError);
      assert.deepEqual(
        [wf.get('s').state, wf.get('s').exemption, wf.get('e').mode, wf.get('e').state],
        ['spec', null, 'explore', 'editing'],
      );
      assert.equal(wf.history(undefined, 100).length, history);
      assert.equal(
        wf.list().some((x) => x.id === 'd'),
        false,
      );
      if (how === 'closed')
        assert.deepEqual(
          wf
            .list()
            .map((s) => s.id)
            .sort(),
          ['e', 's'],
        );
      wf.dispose();
    });

    it("task cancel, approvals and the scheduler's cancel/pause/resume do not happen", async () => {
      const scheduler = new Scheduler({ limits: { cpu: 1 } });
      scheduler.submit({ id: 'run', priority: 1, resources: { cpu: 1 } }, () => new Promise(() => {}));
      scheduler.submit({ id: 'q', priority: 1, resources: { cpu: 1 } }, async () => {});
      scheduler.submit({ id: 'held', priority: 1, resources: { cpu: 1 } }, async () => {});
      scheduler.pause('held');
      const calls: string[] = [];
      const tasks = {
        cancel: (id: string) => {
          calls.push(`cancel ${id}`);
          return true;
        },
        approve: async (id: string) => {
          calls.push(`approve ${id}`);
          return true;
        },
      };
      const audit = { writer: log };
      const h = {
        ...schedulerHandlers({ scheduler, audit }),
        'task/cancel': taskCancel({ tasks, audit }),
        'task/approve': taskApprove({ tasks, audit }),
      };
      const states = () => ['run', 'q', 'held'].map((id) => scheduler.get(id)?.state);
      const before = states();
      broken(log, how);
      await assert.rejects(Promise.resolve(h['task/cancel']!({ taskId: 'task_1' }, ctx)), isAuditError);
      await assert.rejects(
        Promise.resolve(h['task/approve']!({ taskId: 'task_1', requestId: 'r1', decision: 'allow-session' }, ctx)),
        isAuditError,
      );
      await assert.rejects(Promise.resolve(h['tasks/cancel']!({ id: 'run' }, ctx)), isAuditError);
      await assert.rejects(Promise.resolve(h['tasks/pause']!({ id: 'q' }, ctx)), isAuditError);
      await assert.rejects(Promise.resolve(h['tasks/resume']!({ id: 'held' }, ctx)), isAuditError);
      assert.deepEqual(calls, []);
      assert.deepEqual(states(), before);
      scheduler.dispose();
    });
  });
}

describe('record, then act: no audit log at all is a refusal, never a silent skip', () => {
  it('every site refuses with AUDIT_UNAVAILABLE', async () => {
    const unavailable = (e: unknown) => e instanceof AirlockError && e.code === 'AUDIT_UNAVAILABLE';
    const base = tmp();
    writeTree(path.join(base, 'ws'), { 'a.txt': 'one\n' });
    writeTree(path.join(base, 'up'), { 'a.txt': 'ONE\n' });
    const svc = new PatchService({ stateDir: path.join(base, 'state'), workspace: path.join(base, 'ws') });
    // Not even offered for review: a set nobody recorded is not kept.
    await assert.rejects(svc.generate({ type: 'overlay', upper: path.join(base, 'up') }), unavailable);
    assert.deepEqual(svc.list(), []);
    const wf = new WorkflowService({ dbPath: path.join(base, 'wf.db'), audit: undefined });
    assert.throws(() => wf.create('s', 'explore'), unavailable);
    assert.deepEqual(wf.list(), []);
    const scheduler = new Scheduler({ limits: { cpu: 1 } });
    scheduler.submit({ id: 'q', priority: 1, resources: { cpu: 1 } }, () => new Promise(() => {}));
    const calls: string[] = [];
    // The kernel's audit when its log cannot be opened (the database path is a directory): every writer call refuses.
    const audit = await KernelAudit.start({ dbPath: base, keyPath: path.join(base, 'keys', 'audit.key'), writer: 'inline' });
    assert.equal(audit.log, undefined);
    const tasks = {
      cancel: () => {
        calls.push('cancel');
        return true;
      },
    };
    const h = { ...schedulerHandlers({ scheduler, audit }), 'task/cancel': taskCancel({ tasks, audit }) };
    await assert.rejects(Promise.resolve(h['task/cancel']!({ taskId: 'task_1' }, ctx)), unavailable);
    await assert.rejects(Promise.resolve(h['tasks/cancel']!({ id: 'q' }, ctx)), unavailable);
    assert.deepEqual([calls, scheduler.get('q')?.state], [[], 'running']);
    scheduler.dispose();
    wf.dispose();
  });
});

describe('record, then act: the entry is written before the change', () => {
  it("a workflow change and a person's task actions are in the log once they happened", async () => {
    const log = openLog();
    const wf = new WorkflowService({ dbPath: path.join(tmp(), 'wf.db'), audit: () => log });
    const scheduler = new Scheduler({ limits: { cpu: 1 } });
    scheduler.submit({ id: 'q', priority: 1, resources: { cpu: 1 } }, () => new Promise(() => {}));
    const h = { ...workflowHandlers({ workflow: wf }), ...schedulerHandlers({ scheduler, audit: { writer: log } }) };
    wf.create('s', 'strict');
    await h['workflow/transition']!({ sessionId: 's', to: 'green', evidence: { waiver: { reason: 'spike' } } }, ctx);
    await h['tasks/cancel']!({ id: 'q', reason: 'wrong repo' }, ctx);
    const got = log
      .query({ order: 'asc', payloads: true })
      .entries.map((e) => [e.action, e.subject, (e.payload as { kind?: string })?.kind ?? null]);
    assert.deepEqual(got, [
      ['workflow.change', 'kernel', 'create'],
      ['workflow.change', 'user', 'transition'],
      ['tasks.cancel', 'user', null],
    ]);
    const waiver = log.query({ action: 'workflow.change', order: 'desc', limit: 1, payloads: true }).entries[0].payload as {
      waiver: { reason: string };
      to: string;
    };
    assert.deepEqual([waiver.to, waiver.waiver.reason], ['green', 'spike']);
    scheduler.dispose();
    wf.dispose();
    log.dispose();
  });
});
