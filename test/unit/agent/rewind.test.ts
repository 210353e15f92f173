// task/rewind: recorded first, then the dropped turns' patch sets leave review; merged sets and the workspace stay.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import type { RequestContext } from '../../../protocol/src/rpc-server';
import { AuditLog } from '../../../core/src/audit/log';
import { rewind } from '../../../kernel/src/handlers/task/rewind';
import { patchAuditSink } from '../../../kernel/src/patches/audit-sink';
import { PatchService } from '../../../kernel/src/patches/service';
import { writeTree } from '../patches/helpers';
import { inProcessKernel } from '../kernel-harness';

const ctx = { signal: new AbortController().signal } as RequestContext;

describe('task/rewind (kernel)', () => {
  let base: string;
  let ws: string;
  let log: AuditLog;
  let svc: PatchService;
  const running = new Set<string>();
  const handler = () => rewind({ audit: { writer: log }, patches: svc, tasks: { isActive: (t) => running.has(t) } });
  /** One turn of a conversation: its output snapshot (an upper dir) becomes the turn's patch set. */
  const turn = async (taskId: string, files: Record<string, string>) => {
    const up = fs.mkdtempSync(path.join(base, 'up-'));
    writeTree(up, files);
    return svc.generate({ type: 'overlay', upper: up }, { taskId });
  };
  const entries = () => {
    log.flush();
    return [...log.query({ limit: 100, payloads: true }).entries].sort((x, y) => x.seq - y.seq);
  };
  const actions = () => entries().map((e) => `${e.action}:${e.resource}`);

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-rewind-'));
    ws = path.join(base, 'ws');
    writeTree(ws, { 'a.txt': 'one\n', 'b.txt': 'two\n' });
    log = AuditLog.open({ dbPath: path.join(base, 'audit.db'), keyPath: path.join(base, 'keys', 'audit.key'), writer: 'inline' });
    svc = new PatchService({ stateDir: path.join(base, 'state'), workspace: ws, audit: patchAuditSink(() => log) });
    running.clear();
  });
  afterEach(() => {
    log.dispose();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it("withdraws the later turns' sets after recording task.rewind; the kept turn and the workspace do not move", async () => {
    const t1 = await turn('task_one', { 'a.txt': 'ONE\n' });
    const t2 = await turn('task_two', { 'b.txt': 'TWO\n' });
    const t3 = await turn('task_three', { 'c.txt': 'new\n' });
    const r = await handler()({ tasks: ['task_two', 'task_three', 'task_four'], reason: 'wrong approach' }, ctx);
    assert.deepEqual(r.turns, [
      { taskId: 'task_two', setId: t2.id, outcome: 'withdrawn' },
      { taskId: 'task_three', setId: t3.id, outcome: 'withdrawn' },
      { taskId: 'task_four', setId: null, outcome: 'none' },
    ]);
    assert.equal(svc.show(t1.id).set.status, 'pending');
    assert.equal(svc.show(t2.id).set.status, 'rejected');
    assert.equal(svc.show(t3.id).set.status, 'rejected');
    assert.equal(fs.readFileSync(path.join(ws, 'b.txt'), 'utf8'), 'two\n');
    assert.equal(fs.existsSync(path.join(ws, 'c.txt')), false);
    const a = actions();
    const at = a.indexOf('task.rewind:task_two');
    assert.ok(at >= 0, a.join(' '));
    // The rewind comes first, then one review.decide per withdrawn set (with the reason as its note).
    assert.deepEqual(
      a.slice(at + 1).map((x) => x.split(':')[0]),
      ['review.decide', 'review.decide'],
    );
    const entry = entries().find((e) => e.action === 'task.rewind');
    assert.deepEqual((entry?.payload as { tasks: string[] }).tasks, ['task_two', 'task_three', 'task_four']);
    const decide = entries().filter((e) => e.action === 'review.decide');
    assert.match(JSON.stringify(decide[0].payload), /rewound: .*wrong approach/);
  });

  it('reports a merged set as merged and leaves it; a second rewind finds the set already rejected', async () => {
    const t1 = await turn('task_one', { 'a.txt': 'ONE\n' });
    await svc.merged(t1.id, { mergeId: 'm1', outcome: 'merged', paths: ['a.txt'], completePaths: ['a.txt'] });
    const t2 = await turn('task_two', { 'b.txt': 'TWO\n' });
    const r = await handler()({ tasks: ['task_one', 'task_two'] }, ctx);
    assert.deepEqual(
      r.turns.map((t) => t.outcome),
      ['merged', 'withdrawn'],
    );
    assert.equal(svc.show(t1.id).set.status, 'merged');
    const again = await handler()({ tasks: ['task_two'] }, ctx);
    assert.deepEqual(again.turns, [{ taskId: 'task_two', setId: t2.id, outcome: 'already-rejected' }]);
  });

  it('refuses to drop a running turn, and changes nothing', async () => {
    const t2 = await turn('task_two', { 'b.txt': 'TWO\n' });
    running.add('task_three');
    await assert.rejects(
      Promise.resolve(handler()({ tasks: ['task_two', 'task_three'] }, ctx)),
      (e: unknown) => e instanceof AirlockError && e.code === 'TASK_REWIND_RUNNING',
    );
    assert.equal(svc.show(t2.id).set.status, 'pending');
  });

  it('withdraws nothing when the rewind cannot be recorded', async () => {
    const t2 = await turn('task_two', { 'b.txt': 'TWO\n' });
    log.dispose();
    await assert.rejects(
      Promise.resolve(handler()({ tasks: ['task_two'] }, ctx)),
      (e: unknown) => e instanceof AirlockError && /^AUDIT_/.test(e.code) && /task\.rewind was not recorded/.test(e.message),
    );
    assert.equal(svc.show(t2.id).set.status, 'pending');
    log = AuditLog.open({ dbPath: path.join(base, 'again', 'audit.db'), keyPath: path.join(base, 'again', 'audit.key'), writer: 'inline' });
  });

  it('is served by the kernel over RPC: schema checked, the set withdrawn, the entry in audit/query', async () => {
    const k = await inProcessKernel({ 'a.txt': 'one\n' });
    try {
      const up = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-rewind-up-'));
      writeTree(up, { 'a.txt': 'ONE\n' });
      const set = await k.services.patches.generate({ type: 'overlay', upper: up }, { taskId: 'task_abc' });
      fs.rmSync(up, { recursive: true, force: true });
      await assert.rejects(k.client.request('task/rewind', { tasks: [] }), /tasks/);
      await assert.rejects(k.client.request('task/rewind', { tasks: ['not-a-task'] }), /tasks/);
      const r = await k.client.request('task/rewind', { tasks: ['task_abc'], reason: 'try again' });
      assert.deepEqual(r.turns, [{ taskId: 'task_abc', setId: set.id, outcome: 'withdrawn' }]);
      assert.equal((await k.client.request('review/show', { id: set.id })).set.status, 'rejected');
      const audit = await k.client.request('audit/query', { action: 'task.rewind', payloads: true });
      assert.deepEqual(
        audit.entries.map((e) => [e.subject, e.payload]),
        [['user', { tasks: ['task_abc'], reason: 'try again' }]],
      );
    } finally {
      k.dispose();
    }
  });
});
