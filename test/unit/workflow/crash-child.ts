// Child process for the crash-resume test: transitions sessions in a loop until it is killed with SIGKILL.
import { WorkflowService } from '../../../kernel/src/workflow/machine';
import { LocalTestRunner } from '../../../kernel/src/workflow/test-runner';
import { testAudit } from './helpers';

const [dbPath, projectDir] = process.argv.slice(2);
const wf = new WorkflowService({
  audit: testAudit().audit,
  dbPath,
  runner: new LocalTestRunner({ cwd: projectDir, command: [process.execPath, '--test', '--test-reporter=spec', 'calc.test.js'] }),
});
const ids = new Set(wf.list().map((s) => s.id));
if (!ids.has('fast')) wf.create('fast', 'explore');
if (!ids.has('slow')) wf.create('slow', 'strict');
const say = (s: string) => process.stdout.write(s + '\n');

void (async () => {
  for (let i = 0; ; i++) {
    const fast = wf.get('fast');
    await wf.transition('fast', fast.state === 'editing' ? 'review' : 'editing', {}, 'agent', AbortSignal.timeout(5000));
    say(`step ${i}`);
    if (i % 10 === 9) {
      const slow = wf.get('slow');
      if (slow.state === 'spec') {
        say('guard-running');
        await wf.transition('slow', 'red', {}, 'agent', AbortSignal.timeout(30_000));
      } else {
        await wf.transition('slow', 'spec', {}, 'agent', AbortSignal.timeout(5000));
      }
      say('slow-committed');
    }
  }
})();
