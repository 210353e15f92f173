// Persistence: exact resume after restart, tamper detection on open, and consistency after SIGKILL mid-transition.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import * as path from 'node:path';
import { type AirlockError } from '../../../protocol/src/errors';
import { WorkflowService } from '../../../kernel/src/workflow/machine';
import { findRule } from '../../../kernel/src/workflow/table';
import { TempProject, tempDir, testAudit } from './helpers';

const sig = () => AbortSignal.timeout(30_000);

function assertConsistent(dbPath: string): WorkflowService {
  const wf = new WorkflowService({ audit: testAudit().audit, dbPath }); // throws if the chain or the snapshots disagree
  for (const s of wf.list()) {
    const rows = wf.history(s.id, 100_000);
    assert.equal(rows.length, s.version);
    let state = rows[0].to;
    assert.equal(rows[0].kind, 'create');
    for (const r of rows.slice(1)) {
      if (r.kind === 'transition') {
        assert.equal(r.from, state, `seq ${r.seq} starts where the last one ended`);
        assert.ok(findRule(r.mode, r.from!, r.to), `seq ${r.seq}: ${r.from} -> ${r.to} is in the table`);
        state = r.to;
      } else {
        assert.equal(r.kind, 'refused');
        assert.equal(r.to, state);
      }
    }
    assert.equal(s.state, state);
  }
  return wf;
}

describe('workflow persistence', function () {
  this.timeout(60_000);

  it('a restarted kernel resumes every session in its exact state', async () => {
    const db = path.join(tempDir('wf'), 'workflow.db');
    let wf = new WorkflowService({ audit: testAudit().audit, dbPath: db, approvals: { isApproved: async () => true } });
    wf.create('a', 'explore');
    wf.create('b', 'strict');
    await wf.transition('a', 'review', {}, 'agent', sig());
    await wf.transition('a', 'merged', { patchSetId: 'p', coverage: { before: 50, after: 49 } }, 'person', sig());
    await wf.transition('b', 'green', { waiver: { reason: 'hotfix' } }, 'person', sig());
    await assert.rejects(wf.transition('b', 'merged', {}, 'agent', sig()));
    const before = wf.list();
    const hist = wf.history(undefined, 100);
    wf.dispose();
    wf = new WorkflowService({ audit: testAudit().audit, dbPath: db });
    assert.deepEqual(wf.list(), before);
    assert.deepEqual(wf.history(undefined, 100), hist);
    assert.deepEqual([wf.get('a').budget.usedPct, wf.get('b').exemption?.reason], [1, 'hotfix']);
    wf.dispose();
  });

  for (const [what, sql, msg] of [
    ['a changed transition', "UPDATE wf_transitions SET to_state = 'merged' WHERE seq = 2", /transition 2 was modified/],
    ['a deleted transition', 'DELETE FROM wf_transitions WHERE seq = 2', /transition 2 is missing/],
    ['a changed snapshot', "UPDATE wf_sessions SET state = 'merged' WHERE id = 'a'", /session a does not match/],
    ['a rewritten chain tail', 'DELETE FROM wf_transitions WHERE seq = 3', /sessions stored but|does not match/],
  ] as const) {
    it(`refuses to open a database with ${what}`, async () => {
      const db = path.join(tempDir('wf'), 'workflow.db');
      const wf = new WorkflowService({ audit: testAudit().audit, dbPath: db });
      wf.create('a', 'explore');
      await wf.transition('a', 'review', {}, 'agent', sig());
      await wf.transition('a', 'editing', {}, 'agent', sig());
      wf.dispose();
      const raw = new Database(db);
      raw.exec(sql);
      raw.close();
      assert.throws(
        () => new WorkflowService({ audit: testAudit().audit, dbPath: db }),
        (e: AirlockError) => e.code === 'WORKFLOW_CHAIN_BROKEN' && msg.test(e.message),
      );
    });
  }

  for (const when of ['guard-running', 'step 25', 'step 7'] as const) {
    it(`after kill -9 (${when === 'guard-running' ? 'while a guard runs the tests' : `at ${when}`}) the database reopens consistent and resumes`, async () => {
      const dir = tempDir('wf-crash');
      const db = path.join(dir, 'workflow.db');
      const p = new TempProject('node-test');
      p.setTests([
        ['adds', 'calc.add(1, 2) === 3'],
        ['subtracts', 'calc.sub(3, 1) === 2'],
      ]);
      try {
        const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'crash-child.ts'), db, p.dir], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stderr.on('data', (b) => {
          err += b;
        });
        await new Promise<void>((resolve, reject) => {
          child.stdout.on('data', (b) => {
            out += b;
            if (out.split('\n').includes(when)) {
              child.kill('SIGKILL');
              resolve();
            }
          });
          child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${err.slice(-500)}`)));
        });
        await new Promise((r) => child.once('close', r));
        const wf = assertConsistent(db);
        if (when === 'guard-running') assert.equal(wf.get('slow').state, 'spec', 'a transition killed in its guard left no trace');
        // It resumes: the next transition from the recovered state works and chains on.
        const fast = wf.get('fast');
        const next = await wf.transition('fast', fast.state === 'editing' ? 'review' : 'editing', {}, 'agent', sig());
        assert.equal(next.version, fast.version + 1);
        wf.dispose();
        assertConsistent(db).dispose();
      } finally {
        p.dispose();
      }
    });
  }
});
