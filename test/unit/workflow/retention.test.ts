// Workflow sessions in memory are bounded (one per task ever run, all kept, grew the soak's kernel); the rest are read
// from SQLite when asked for, so every session stays available, before and after a restart.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { WorkflowService } from '../../../kernel/src/workflow/machine';
import { SESSION_CACHE, type WorkflowStore } from '../../../kernel/src/workflow/store';
import { tempDir, testAudit } from './helpers';

const storeOf = (wf: WorkflowService) => (wf as unknown as { store: WorkflowStore }).store;

describe('workflow: sessions kept in memory', function () {
  this.timeout(60_000);

  it('holds at most SESSION_CACHE sessions however many ran; older ones are read back exactly', async () => {
    const db = path.join(tempDir('wf'), 'workflow.db');
    const n = SESSION_CACHE * 3;
    let wf = new WorkflowService({ audit: testAudit().audit, dbPath: db });
    for (let i = 0; i < n; i++) wf.create(`s${i}`, i % 2 ? 'strict' : 'explore');
    await wf.transition('s0', 'review', {}, 'agent', AbortSignal.timeout(30_000));
    assert.ok(storeOf(wf).cached <= SESSION_CACHE, `cached ${storeOf(wf).cached}`);
    const first = wf.get('s0');
    assert.deepEqual([first.state, first.version, first.mode], ['review', 2, 'explore']);
    assert.equal(wf.get('s1').mode, 'strict');
    assert.equal(wf.list().length, n);
    assert.throws(() => wf.create('s5', 'explore'), /already exists/);
    const listed = wf.list();
    wf.dispose();
    wf = new WorkflowService({ audit: testAudit().audit, dbPath: db });
    assert.ok(storeOf(wf).cached <= SESSION_CACHE, `after a restart: cached ${storeOf(wf).cached}`);
    assert.deepEqual(wf.list(), listed);
    assert.equal(wf.get('s0').state, 'review');
    wf.dispose();
  });
});
