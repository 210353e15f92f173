// The task's code-executor sandbox: created on the first command with the output volume at /workspace, reused for
// the commands that follow, destroyed before the kernel writes into the volume and when the task ends.
import * as path from 'node:path';
import type { SandboxManager } from '../runtime/sandbox-manager';
import type { ISandboxExec, SandboxCommand, SandboxResult } from './interfaces';

export interface TaskSandboxOptions {
  runtime: SandboxManager;
  volumeName: string;
  template?: string;
  /** Told about each sandbox the task gets (for the audit trail). */
  onCreated?: (sandboxId: string) => void;
}

const TEST_COMMAND = /(^|\s)(--test\b|test\b|mocha\b|jest\b|vitest\b|pytest\b|go test\b|cargo test\b)/;

export class TaskSandbox implements ISandboxExec {
  private current?: Promise<string>;
  private closed = false;
  /** Exit status of the last command that looked like a test run (null: none ran), for the patch set's testsPassed. */
  testsPassed: boolean | null = null;

  constructor(private readonly o: TaskSandboxOptions) {}

  private ensure(signal: AbortSignal): Promise<string> {
    if (this.closed) throw new Error('the task sandbox is closed');
    if (!this.current) {
      const p = this.o.runtime.create({ template: this.o.template ?? 'code-executor', mounts: [{ type: 'volume', source: this.o.volumeName, target: '/workspace', readOnly: false }], signal })
        .then((info) => { this.o.onCreated?.(info.id); return info.id; });
      this.current = p;
      p.catch(() => { if (this.current === p) this.current = undefined; });
    }
    return this.current;
  }

  async exec(cmd: SandboxCommand, signal: AbortSignal): Promise<SandboxResult> {
    const id = await this.ensure(signal);
    const cwd = path.posix.join('/workspace', cmd.cwd ?? '.');
    const r = await this.o.runtime.exec(id, { argv: cmd.argv, cwd, env: cmd.env, timeoutMs: cmd.timeoutMs }, { signal });
    const notes = [r.error && `could not run: ${r.error}`, r.oomKilled && 'killed: out of memory', r.truncated && 'output truncated', r.signal && `ended by signal ${r.signal}`].filter(Boolean);
    const exitCode = r.exitCode ?? -1;
    if (TEST_COMMAND.test(cmd.argv.join(' '))) this.testsPassed = exitCode === 0 && !r.timedOut;
    return { exitCode, stdout: r.stdout, stderr: notes.length ? `${r.stderr}${r.stderr && !r.stderr.endsWith('\n') ? '\n' : ''}[airlock: ${notes.join('; ')}]` : r.stderr, timedOut: r.timedOut };
  }

  /** Destroys the live sandbox, if any (the overlay is unmounted once no container uses it). */
  async release(reason: string): Promise<void> {
    const p = this.current;
    this.current = undefined;
    if (!p) return;
    const id = await p.catch(() => undefined);
    if (id) await this.o.runtime.destroy(id, reason).catch(() => undefined);
  }

  async close(reason: string): Promise<void> {
    this.closed = true;
    await this.release(reason);
  }
}
