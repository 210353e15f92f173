// An exec's exit code is read only once the engine has recorded it: an inspect that still says running is asked again.
import * as assert from 'node:assert/strict';
import { execExitCode } from '../../../core/src/engine/exec-exit';

/** An exec whose inspect says running (no exit code) `lag` times, then exited with `code`. */
function lagging(lag: number, code: number | null = 0) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    inspect: async () => (calls++ < lag ? { Running: true, ExitCode: null } : { Running: false, ExitCode: code }) as never,
  };
}

describe('runtime: an exec exit code the engine records late', () => {
  it('waits until the engine records the exit, instead of reporting -1 for a command that passed', async () => {
    const ex = lagging(4, 0);
    assert.equal(await execExitCode(ex), 0);
    assert.equal(ex.calls, 5);
  });

  it('returns a recorded failure as it is', async () => {
    assert.equal(await execExitCode(lagging(0, 3)), 3);
  });

  it('stops waiting when the caller cancels', async () => {
    const ac = new AbortController();
    ac.abort(new Error('cancelled by the test'));
    await assert.rejects(execExitCode(lagging(1000), ac.signal), /cancelled by the test/);
  });
});
