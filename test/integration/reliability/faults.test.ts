// Fault injection (docker): SIGKILL the kernel at each step of a replayed task — queued, sandbox creating, model
// streaming, tool executing, approval pending, patch set generating, review decided, merge half-written on the host —
// and check what survives (fault-harness.ts: audit, chain, workspace, task outcome, orphans) and that the person can
// carry on (the rows: fault-steps.ts).
import { killKernel } from './fault-harness';
import { runStep, startBed, STEP_NAMES } from './fault-steps';

describe('fault injection: SIGKILL the kernel at each step of a task (docker)', function () {
  this.timeout(600_000);
  let bed: Awaited<ReturnType<typeof startBed>> | undefined;
  before(async () => {
    bed = await startBed({ runtime: 'docker' });
  });
  after(() => bed?.close());

  for (const step of STEP_NAMES) it(step, () => runStep(bed!, step, killKernel));
});
