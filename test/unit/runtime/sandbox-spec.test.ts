// A sandbox's mounts and container spec, built from its template and the request (sandbox-spec.ts).
import * as assert from 'node:assert/strict';
import { loadTemplates } from '../../../core/src/templates';
import { containerSpec, sandboxMounts } from '../../../kernel/src/runtime/sandbox-spec';
import { LABEL } from '../../../kernel/src/runtime/types';

describe('sandbox spec', () => {
  const t = loadTemplates(undefined, '1000:1000').get('code-executor')!;

  it("mounts the workspace read-only, then the request's mounts, then writable scratch volumes", () => {
    const extra = { type: 'bind' as const, source: '/host/extra', target: '/extra', readOnly: true };
    const m = sandboxMounts(t, '/host/ws', [extra], [{ name: 'v1', target: '/scratch' }]);
    assert.deepEqual(m, [
      { type: 'bind', source: '/host/ws', target: t.workspace!.target, readOnly: true },
      { type: 'bind', source: '/host/extra', target: '/extra', readOnly: true },
      { type: 'volume', source: 'v1', target: '/scratch', readOnly: false },
    ]);
  });

  it('a volume on the workspace target replaces the read-only bind; a writable bind is refused', () => {
    const overlay = { type: 'volume' as const, source: 'out', target: t.workspace!.target, readOnly: false };
    assert.deepEqual(sandboxMounts(t, '/host/ws', [overlay], []), [overlay]);
    const writable = { type: 'bind' as const, source: '/etc', target: '/x', readOnly: false };
    assert.throws(
      () => sandboxMounts(t, '/host/ws', [writable], []),
      (e: { code?: string }) => e.code === 'SANDBOX_WRITABLE_BIND',
    );
  });

  it("the spec carries the template's hardening, the labels, the task and the mask tmpfs", () => {
    const s = containerSpec({
      id: 'sbx-abcdef1234',
      template: t,
      image: 'img@sha',
      deadline: 42,
      labels: { [LABEL.session]: 's-1' },
      mounts: [],
      tmpfs: { '/workspace/secret': 'ro,size=1k' },
      env: { A: '1' },
      task: 'task_1',
    });
    assert.equal(s.name, `airlock-${t.name}-abcdef1234`);
    assert.equal(s.readOnlyRoot, t.readOnlyRoot);
    assert.equal(s.networkMode, t.network);
    assert.equal(s.pidsLimit, t.limits.pids);
    assert.equal(s.labels[LABEL.session], 's-1');
    assert.equal(s.labels[LABEL.sandbox], 'sbx-abcdef1234');
    assert.equal(s.labels[LABEL.deadline], '42');
    assert.equal(s.labels[LABEL.task], 'task_1');
    assert.equal(s.env?.A, '1');
    assert.equal(s.tmpfs['/workspace/secret'], 'ro,size=1k');
    for (const m of t.tmpfs) assert.match(s.tmpfs[m.path], new RegExp(`^rw,nosuid,nodev,${m.exec ? 'exec' : 'noexec'},size=`));
    const noTask = containerSpec({ id: 'sbx-x', template: t, image: 'i', deadline: 1, labels: {}, mounts: [], tmpfs: {} });
    assert.equal(noTask.labels[LABEL.task], undefined);
  });
});
