// Fault injection on Podman, the core subset of the matrix (faults.test.ts runs every row on Docker): SIGKILL the
// kernel while tasks run their commands with one queued behind them, while an approval is pending, once a review was
// decided, and after a merge on the host was cut off half-way; the same rows (fault-steps.ts) and checks
// (fault-harness.ts).
import { killKernel } from './fault-harness';
import { runStep, startBed, type StepName } from './fault-steps';

const CORE: StepName[] = ['queued and tool executing', 'approval pending', 'review decided', 'merge half-written'];

describe('fault injection: SIGKILL the kernel at the core steps of a task (podman)', function () {
  this.timeout(600_000);
  let bed: Awaited<ReturnType<typeof startBed>> | undefined;
  before(async () => {
    bed = await startBed({ runtime: 'podman' });
  });
  after(() => bed?.close());

  for (const step of CORE) it(step, () => runStep(bed!, step, killKernel));
});
