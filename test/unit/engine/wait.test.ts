// An engine that restarts is waited for (its kernel restarts are not used up on it); one that stays away is given up on.
import * as assert from 'node:assert/strict';
import { EngineOutage, waitForEngine } from '../../../core/src/engine/wait';

/** A fake clock and an engine that answers from `upAt` (ms) on. */
function rig(upAt: number) {
  let t = 0;
  let pings = 0;
  const ping = () => {
    pings++;
    return t >= upAt ? Promise.resolve('OK') : Promise.reject(new Error('connect ENOENT /var/run/docker.sock'));
  };
  return {
    ping,
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
    pings: () => pings,
  };
}

describe('waiting for the container engine', () => {
  it('answers at once when the engine is up, without saying it waits', async () => {
    const r = rig(0);
    let said = 0;
    assert.equal(await waitForEngine(r.ping, { deadlineMs: 10_000, onWaiting: () => said++, now: r.now, sleep: r.sleep }), true);
    assert.equal(said, 0);
    assert.equal(r.pings(), 1);
  });

  it('waits through a restart that outlasts the kernel backoffs (~6 s), saying so once', async () => {
    const r = rig(15_000);
    let said = 0;
    assert.equal(await waitForEngine(r.ping, { deadlineMs: 120_000, onWaiting: () => said++, now: r.now, sleep: r.sleep }), true);
    assert.equal(said, 1);
    assert.ok(r.now() >= 15_000 && r.now() < 16_000, `answered soon after it came back (${r.now()} ms)`);
  });

  it('gives up at the deadline, or at once when its owner is gone', async () => {
    const r = rig(Infinity);
    assert.equal(await waitForEngine(r.ping, { deadlineMs: 5_000, now: r.now, sleep: r.sleep }), false);
    assert.ok(r.now() >= 5_000 && r.now() < 6_000);
    const r2 = rig(Infinity);
    assert.equal(await waitForEngine(r2.ping, { deadlineMs: 5_000, stopped: () => true, now: r2.now, sleep: r2.sleep }), false);
    assert.equal(r2.pings(), 1);
  });

  it('an engine that answers pings but keeps refusing to start containers is given up on after the deadline', async () => {
    const r = rig(0);
    const outage = new EngineOutage(r.ping, { deadlineMs: 5_000, now: r.now, sleep: r.sleep });
    let refusals = 0;
    while (await outage.available(() => undefined)) {
      await outage.refused();
      refusals++;
    }
    assert.ok(refusals >= 5 && refusals <= 6, `refused ${refusals} times, a second apart, before giving up`);
    // Once the engine acts again the outage is over: the next one gets its whole deadline.
    outage.ended();
    assert.equal(await outage.available(() => undefined), true);
  });
});
