// The plugin lifecycle: only the allowed transitions, each recorded before it counts; a record that fails keeps the state.
import * as assert from 'node:assert/strict';
import { PluginStateName } from '../../../protocol/src/methods/plugins';
import { nextStates, PluginLifecycle, type PluginTransition } from '../../../kernel/src/plugins/lifecycle';

describe('plugin lifecycle', () => {
  const recorder = () => {
    const seen: PluginTransition[] = [];
    let broken = false;
    return {
      seen,
      break: () => {
        broken = true;
      },
      mend: () => {
        broken = false;
      },
      record: async (t: PluginTransition) => {
        if (broken) throw new Error('disk full');
        seen.push(t);
      },
    };
  };

  it('records every transition, in order, before the state changes', async () => {
    const r = recorder();
    let stateWhenRecorded: unknown = 'unset';
    const l = new PluginLifecycle('hello', async (t) => {
      stateWhenRecorded = l.state;
      await r.record(t);
    });
    await l.discover({ dir: '/p' });
    assert.equal(stateWhenRecorded, null, 'the record came before the state');
    for (const to of ['verified', 'approved', 'starting', 'ready', 'stopped'] as const) await l.to(to, `to ${to}`);
    assert.deepEqual(
      r.seen.map((t) => [t.from, t.to]),
      [
        [null, 'discovered'],
        ['discovered', 'verified'],
        ['verified', 'approved'],
        ['approved', 'starting'],
        ['starting', 'ready'],
        ['ready', 'stopped'],
      ],
    );
    assert.equal(l.state, 'stopped');
    assert.equal(l.history.length, 6);
  });

  it('a transition that cannot be recorded does not happen', async () => {
    const r = recorder();
    const l = new PluginLifecycle('hello', r.record);
    await l.discover({});
    await l.to('verified', 'ok');
    r.break();
    await assert.rejects(l.to('approved', 'approved by the person'), /disk full/);
    assert.equal(l.state, 'verified', 'still verified: the approval was not recorded');
    await assert.rejects(l.settle('failed', 'crash'), /disk full/);
    assert.equal(l.state, 'verified');
    r.mend();
    await l.to('approved', 'again');
    assert.equal(l.state, 'approved');
    assert.deepEqual(
      r.seen.map((t) => t.to),
      ['discovered', 'verified', 'approved'],
    );
  });

  it('refuses transitions the machine does not allow, unrecorded', async () => {
    const r = recorder();
    const l = new PluginLifecycle('hello', r.record);
    await assert.rejects(l.to('verified', 'x'), (e: Error & { code?: string }) => e.code === 'PLUGIN_TRANSITION');
    await l.discover({});
    await assert.rejects(l.to('starting', 'skip approval'), (e: Error & { code?: string }) => e.code === 'PLUGIN_TRANSITION');
    await assert.rejects(l.to('ready', 'skip'), /cannot go from discovered to ready/);
    assert.equal(l.state, 'discovered');
    assert.equal(r.seen.length, 1);
  });

  it('settle is a no-op once failed or stopped; stopped is final', async () => {
    const r = recorder();
    const l = new PluginLifecycle('hello', r.record);
    await l.discover({});
    await l.settle('failed', 'bad manifest');
    await l.settle('failed', 'again');
    assert.equal(l.reason, 'bad manifest');
    await l.settle('stopped', 'removed');
    await l.settle('failed', 'late crash');
    assert.equal(l.state, 'stopped');
    assert.deepEqual(
      r.seen.map((t) => t.to),
      ['discovered', 'failed', 'stopped'],
    );
  });

  it('every state has its next states (approval only from verified, start only from approved)', () => {
    for (const s of PluginStateName.options) assert.ok(Array.isArray(nextStates(s)));
    const into = (to: string) => PluginStateName.options.filter((s) => nextStates(s).includes(to as never));
    assert.deepEqual(into('approved'), ['verified']);
    assert.deepEqual(into('starting'), ['approved']);
    assert.deepEqual(into('ready'), ['starting']);
    assert.deepEqual(nextStates('stopped'), []);
  });
});
