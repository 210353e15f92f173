// The test tool the guards rely on: ITestRunner (a code-executor sandbox implements it) and a local child-process runner.
import { spawn } from 'node:child_process';
import { AirlockError, cancelledError } from '../../../protocol/src/errors';
import { type ParsedTestRun, parseTestOutput } from './test-results';

export interface TestRunResult extends ParsedTestRun {
  exitCode: number | null;
  /** Line coverage in percent when the runner reported it (c8/nyc/istanbul text summary). */
  coverage?: number;
}

/** Which workflow session a run is for (a sandboxed runner reads that session's output volume, when it has one). */
export interface TestRunContext {
  sessionId?: string;
}

/** Runs the project's tests once. The kernel's implementation (SandboxTestRunner) runs them in a code-executor sandbox. */
export interface ITestRunner {
  run(signal: AbortSignal, ctx?: TestRunContext): Promise<TestRunResult>;
}

export interface LocalTestRunnerOptions {
  cwd: string;
  /** argv, e.g. ['node', '--test'] or ['npx', 'mocha']; never a shell string. */
  command: readonly string[];
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  maxOutputBytes?: number;
}

/**
 * Runs tests in a child process on this machine. Used by tests and by `airlock` on the host; the kernel uses the
 * sandboxed runner. The output is parsed, then checked against the exit code: a run that "passed" with a non-zero
 * exit (or failed with zero) is an error, because guards must never trust a parse they cannot corroborate.
 */
export class LocalTestRunner implements ITestRunner {
  constructor(private readonly options: LocalTestRunnerOptions) {}

  run(signal: AbortSignal): Promise<TestRunResult> {
    const { cwd, command, env, timeoutMs = 120_000, maxOutputBytes = 8 * 1024 * 1024 } = this.options;
    return new Promise((resolve, reject) => {
      signal.throwIfAborted();
      const child = spawn(command[0], command.slice(1), {
        cwd,
        env: { ...process.env, ...env, FORCE_COLOR: '0', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (b: Buffer) => {
        size += b.length;
        if (size <= maxOutputBytes) chunks.push(b);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      // Its own process group, so runner workers (mocha --parallel, node --test files) die with it.
      const kill = () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      };
      const onAbort = () => {
        kill();
        reject(cancelledError('test run'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => {
        kill();
        reject(new AirlockError('WORKFLOW_TEST_TIMEOUT', `tests did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new AirlockError('WORKFLOW_TEST_RUN_FAILED', `could not start ${command[0]}: ${err.message}`));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) return;
        try {
          resolve(checkedResult(Buffer.concat(chunks).toString('utf8'), code));
        } catch (e) {
          reject(e);
        }
      });
    });
  }
}

export function checkedResult(output: string, exitCode: number | null): TestRunResult {
  const parsed = parseTestOutput(output);
  if (!parsed) {
    throw new AirlockError(
      'WORKFLOW_TEST_OUTPUT_UNKNOWN',
      `could not read the test runner's output (exit code ${exitCode})`,
      'use a supported reporter: mocha spec/tap, node:test spec/tap, jest, vitest, pytest, go test -v',
      { tail: output.slice(-2000) },
    );
  }
  if (parsed.failed > 0 !== (exitCode !== 0)) {
    throw new AirlockError(
      'WORKFLOW_TEST_OUTPUT_MISMATCH',
      `the runner reported ${parsed.failed} failing but exited with ${exitCode}`,
      'a crash or a runner error can look like a pass; check the test command',
      { tail: output.slice(-2000) },
    );
  }
  const cov = /^\s*(?:Lines\s*:\s*([\d.]+)%|All files\s*\|\s*[\d.]+\s*\|\s*[\d.]+\s*\|\s*[\d.]+\s*\|\s*([\d.]+))/m.exec(output);
  const coverage = cov ? Number(cov[1] ?? cov[2]) : undefined;
  return { ...parsed, exitCode, ...(coverage !== undefined ? { coverage } : {}) };
}
