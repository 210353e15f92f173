// ITestRunner in a code-executor sandbox: the project's tests run against the read-only workspace (or the session's
// output volume), with a detected runner, a deadline, and the whole process group killed on cancel.
import { AirlockError, cancelledError } from '../../../protocol/src/errors';
import { type IDisposable, toDisposable } from '../../../protocol/src/lifecycle';
import type { SandboxManager } from '../runtime/sandbox-manager';
import { detectTestCommand, type DetectedTests, PROBE_SOURCE, ProjectProbe } from './detect-tests';
import { checkedResult, type ITestRunner, type TestRunContext, type TestRunResult } from './test-runner';

export interface SandboxTestRunnerOptions {
  runtime: Pick<SandboxManager, 'create' | 'exec' | 'destroy' | 'release' | 'template'>;
  /** Default `code-executor` (shell, git, node, npm; no network). */
  template?: string;
  /** The test command (argv); detected in the sandbox when absent. */
  command?: readonly string[];
  /** A volume holding the project as the agent changed it (patch mode's output volume), mounted writable at the
   * workspace's place for every run; per-session volumes (`setSessionVolume`) win over it. */
  outputVolume?: string;
  /** The whole run (sandbox, detection, tests); default 10 minutes. */
  timeoutMs?: number;
  maxOutputBytes?: number;
}

const MERGE_STDERR = ['sh', '-c', 'exec "$@" 2>&1', 'sh'];

export class SandboxTestRunner implements ITestRunner {
  private readonly sessionVolumes = new Map<string, string>();

  constructor(private readonly o: SandboxTestRunnerOptions) {}

  /** Guard runs of this session read the session's output volume (its edits) instead of the read-only workspace. */
  setSessionVolume(sessionId: string, volume: string): IDisposable {
    this.sessionVolumes.set(sessionId, volume);
    return toDisposable(() => {
      if (this.sessionVolumes.get(sessionId) === volume) this.sessionVolumes.delete(sessionId);
    });
  }

  async run(signal: AbortSignal, ctx: TestRunContext = {}): Promise<TestRunResult> {
    signal.throwIfAborted();
    const timeoutMs = this.o.timeoutMs ?? 600_000;
    const deadline = AbortSignal.timeout(timeoutMs);
    const both = AbortSignal.any([signal, deadline]);
    const template = this.o.template ?? 'code-executor';
    const target = this.o.runtime.template(template).workspace?.target ?? '/workspace';
    const volume = (ctx.sessionId && this.sessionVolumes.get(ctx.sessionId)) || this.o.outputVolume;
    const started = Date.now();
    let id: string | undefined;
    try {
      const sb = await this.o.runtime.create({
        template,
        signal: both,
        ...(volume ? { mounts: [{ type: 'volume', source: volume, target, readOnly: false }] } : {}),
      });
      id = sb.id;
      const argv = this.o.command ? [...this.o.command] : (await this.detect(sb.id, target, both)).argv;
      const once = () =>
        this.once(sb.id, argv, { target, template, timeoutMs, remaining: Math.max(1, timeoutMs - (Date.now() - started)), signal: both });
      try {
        return await once();
      } catch (err) {
        if (!(err instanceof AirlockError) || err.code !== 'WORKFLOW_TEST_OUTPUT_UNKNOWN' || both.aborted) throw err;
        // The workspace is live beneath the task's view: a file renamed away (an editor's atomic save, a merge) while the
        // runner lists the project crashes some runners' discovery before any test ran (node --test: "Could not find
        // '…'"). Such a run says nothing about the tests, so it runs once more; a second unreadable run fails the guard.
        return await once();
      }
    } catch (err) {
      if (signal.aborted) throw cancelledError('test run');
      if (deadline.aborted) throw timeoutError(timeoutMs);
      throw err;
    } finally {
      // A cancelled or timed-out run's sandbox is destroyed (nothing of it survives); a finished one goes back per template.
      if (id) await (both.aborted ? this.o.runtime.destroy(id, 'test run stopped') : this.o.runtime.release(id)).catch(() => undefined);
    }
  }

  /** One run of the test command in sandbox `id`: its output read as a test report (or why it cannot be). */
  private async once(
    id: string,
    argv: string[],
    o: { target: string; template: string; timeoutMs: number; remaining: number; signal: AbortSignal },
  ): Promise<TestRunResult> {
    const { target, template, timeoutMs } = o;
    const r = await this.o.runtime.exec(
      id,
      {
        argv: [...MERGE_STDERR, ...argv],
        cwd: target,
        timeoutMs: o.remaining,
        env: { FORCE_COLOR: '0', NO_COLOR: '1' },
        maxOutput: this.o.maxOutputBytes ?? 8 * 1024 * 1024,
      },
      { signal: o.signal },
    );
    if (r.timedOut) throw timeoutError(timeoutMs);
    if (r.oomKilled)
      throw new AirlockError(
        'WORKFLOW_TEST_RUN_FAILED',
        `the test run (${argv.join(' ')}) was OOM-killed in the sandbox`,
        'the code-executor template sets the memory limit',
      );
    if (r.error) throw new AirlockError('WORKFLOW_TEST_RUN_FAILED', `could not start ${argv[0]} in the sandbox: ${r.error}`);
    if (r.exitCode === 127 && /not found/.test(r.stdout.slice(-500))) {
      throw new AirlockError(
        'WORKFLOW_TEST_RUN_FAILED',
        `${argv[0]} is not installed in the ${template} sandbox`,
        `point the ${template} template at an image that has it (field \`image\`)`,
        { tail: r.stdout.slice(-2000) },
      );
    }
    return checkedResult(r.stdout, r.exitCode);
  }

  private async detect(id: string, cwd: string, signal: AbortSignal): Promise<DetectedTests> {
    const r = await this.o.runtime.exec(id, { argv: ['node', '-e', PROBE_SOURCE], cwd, timeoutMs: 30_000 }, { signal });
    let probe: ProjectProbe | undefined;
    try {
      probe = ProjectProbe.parse(JSON.parse(r.stdout));
    } catch {
      probe = undefined;
    }
    if (!probe)
      throw new AirlockError(
        'WORKFLOW_TEST_RUN_FAILED',
        `could not look at the project in the sandbox (exit ${r.exitCode})`,
        r.stderr.slice(-500) || undefined,
      );
    const d = detectTestCommand(probe);
    if (!d) {
      throw new AirlockError(
        'WORKFLOW_NO_TESTS',
        'no test runner found in the project',
        'add package.json scripts.test, a mocha setup, go.mod, a pytest configuration or *.test.js files',
      );
    }
    return d;
  }
}

function timeoutError(ms: number): AirlockError {
  return new AirlockError(
    'WORKFLOW_TEST_TIMEOUT',
    `tests did not finish within ${ms} ms`,
    'the sandbox and every process of the run were killed',
  );
}
