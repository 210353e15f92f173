// Sandbox lifecycle: every legal transition is audited, every illegal one rejected and not recorded.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { canTransition, SandboxLifecycle, SandboxState, TRANSITIONS, type SandboxTransition } from '../../../kernel/src/runtime/lifecycle';

const states = SandboxState.options;

function machine(records: SandboxTransition[] = []) {
  return new SandboxLifecycle('sbx-1', 'code-executor', 's-1', { record: (t) => records.push(t) });
}

describe('sandbox lifecycle', () => {
  it('walks the happy path and audits each step with from/to/template/session', () => {
    const rec: SandboxTransition[] = [];
    const m = machine(rec);
    for (const s of ['creating', 'ready', 'running', 'ready', 'paused', 'ready', 'stopping', 'destroyed'] as const) m.to(s);
    assert.equal(m.state, 'destroyed');
    assert.equal(rec.length, 8);
    assert.deepEqual(rec.map((r) => `${r.from}>${r.to}`).slice(0, 3), ['requested>creating', 'creating>ready', 'ready>running']);
    assert.ok(rec.every((r) => r.sandboxId === 'sbx-1' && r.template === 'code-executor' && r.session === 's-1' && r.at > 0));
  });

  it('rejects illegal transitions with SANDBOX_BAD_TRANSITION and records nothing', () => {
    const rec: SandboxTransition[] = [];
    const m = machine(rec);
    assert.throws(
      () => m.to('running'),
      (e: { code?: string; message: string }) => e.code === 'SANDBOX_BAD_TRANSITION' && /requested to running/.test(e.message),
    );
    assert.equal(m.state, 'requested');
    assert.equal(rec.length, 0);
  });

  it('destroyed is terminal', () => {
    const m = machine();
    m.to('creating');
    m.to('failed', 'engine error');
    m.to('destroyed');
    for (const s of states) assert.throws(() => m.to(s));
    assert.equal(m.tryTo('stopping'), false);
  });

  it('a failing audit sink blocks the transition (fail closed)', () => {
    const m = new SandboxLifecycle('x', 't', 's', {
      record: () => {
        throw new Error('audit down');
      },
    });
    assert.throws(() => m.to('creating'), /audit down/);
    assert.equal(m.state, 'requested');
  });

  it('any sequence of attempted moves leaves the state where the legal ones led (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...states), { maxLength: 40 }), (moves) => {
        const rec: SandboxTransition[] = [];
        const m = machine(rec);
        let expected: SandboxState = 'requested';
        for (const to of moves) {
          const legal = TRANSITIONS[expected].includes(to);
          if (legal) {
            m.to(to);
            expected = to;
          } else assert.throws(() => m.to(to));
        }
        assert.equal(m.state, expected);
        for (const r of rec) assert.ok(canTransition(r.from, r.to));
      }),
    );
  });

  it('every state except destroyed can reach destroyed', () => {
    for (const s of states.filter((x) => x !== 'destroyed')) {
      const seen = new Set<SandboxState>([s]);
      const queue: SandboxState[] = [s];
      while (queue.length)
        for (const n of TRANSITIONS[queue.shift()!])
          if (!seen.has(n)) {
            seen.add(n);
            queue.push(n);
          }
      assert.ok(seen.has('destroyed'), `${s} cannot reach destroyed`);
    }
  });
});
