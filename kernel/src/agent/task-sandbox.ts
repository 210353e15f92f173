// The task's code-executor sandbox: created on the first command with the output volume at /workspace, reused for
// the commands that follow, destroyed before the kernel writes into the volume and when the task ends.
import * as path from 'node:path';
import type { SandboxManager, SandboxMasks } from '../runtime/sandbox-manager';
import { accessNote } from '../../../core/src/workspace-access';
import { acquireTaskSandbox, type TaskSandbox as ScheduledSandbox } from '../scheduler/task-sandbox';
import type { ISandboxExec, SandboxCommand, SandboxResult } from './interfaces';

export interface TaskSandboxOptions {
  runtime: SandboxManager;
  volumeName: string;
  template?: string;
  /** The scheduler task: its sandboxes are tagged with it, so preemption pauses them (acquireTaskSandbox). */
  taskId?: string;
  /** The task's signal: aborting it destroys the live sandbox at once. */
  signal?: AbortSignal;
  /** The kernel's view of the workspace: checked once, before the first sandbox, for the sandbox user's access. */
  workspace?: string;
  /** Told about each sandbox the task gets (for the audit trail). */
  onCreated?: (sandboxId: string) => void;
  /** What the policy hides, found again for each new sandbox (names the person created since are masked too). */
  masks?: () => SandboxMasks | Promise<SandboxMasks>;
  /** Asked for each new sandbox: true puts it behind the egress proxy (the task's policy grants hosts; docs/network.md). */
  egress?: () => boolean;
}

const TEST_COMMAND = /(^|\s)(--test\b|test\b|mocha\b|jest\b|vitest\b|pytest\b|go test\b|cargo test\b)/;

/** A command that runs the project's tests (after it, the kernel asks the workflow for the test-run transition). */
export function isTestCommand(argv: readonly string[]): boolean {
  const line = argv.join(' ');
  return (
    /(^|[\s;&|(])(npm|pnpm|yarn|bun)( run)? (test|t)\b/.test(line) ||
    /(^|[\s;&|(/])node\b[^;&|]*\s--test\b/.test(line) ||
    /(^|[\s;&|(/])(mocha|jest|vitest|pytest|py\.test)\b/.test(line) ||
    /(^|[\s;&|(/])(go|cargo) test\b/.test(line)
  );
}

export class TaskSandbox implements ISandboxExec {
  private current?: Promise<ScheduledSandbox>;
  private closed = false;
  /** Exit status of the last command that looked like a test run (null: none ran), for the patch set's testsPassed. */
  testsPassed: boolean | null = null;
  /** The workspace access note for the next result (undefined: not checked yet). */
  private pendingNote: string | undefined;

  constructor(private readonly o: TaskSandboxOptions) {}

  private ensure(signal: AbortSignal): Promise<ScheduledSandbox> {
    if (this.closed) throw new Error('the task sandbox is closed');
    if (!this.current) {
      const template = this.o.template ?? 'code-executor';
      const user = this.o.runtime.templates.get(template)?.user;
      // Said once, with the first command: otherwise an EACCES or a silently skipped folder looks like a project bug.
      if (this.o.workspace && user && this.pendingNote === undefined) {
        try {
          this.pendingNote = accessNote(this.o.workspace, user);
        } catch {
          this.pendingNote = '';
        }
      }
      const mounts = [{ type: 'volume' as const, source: this.o.volumeName, target: '/workspace', readOnly: false }];
      // A failure to judge the tree (masks) fails this command: there is never an unmasked sandbox.
      const p = Promise.resolve()
        .then(() => this.o.masks?.())
        .then((masks) =>
          acquireTaskSandbox(
            this.o.runtime,
            { id: this.o.taskId ?? `sandbox-of-${this.o.volumeName}`, signal: this.o.signal ?? signal },
            { template, mounts, masks, ...(this.o.egress?.() ? { egress: 'proxy' as const } : {}) },
          ),
        )
        .then((sb) => {
          this.o.onCreated?.(sb.id);
          return sb;
        });
      this.current = p;
      p.catch(() => {
        if (this.current === p) this.current = undefined;
      });
    }
    return this.current;
  }

  async exec(cmd: SandboxCommand, signal: AbortSignal): Promise<SandboxResult> {
    const { id } = await this.ensure(signal);
    const cwd = path.posix.join('/workspace', cmd.cwd ?? '.');
    const r = await this.o.runtime.exec(id, { argv: cmd.argv, cwd, env: cmd.env, timeoutMs: cmd.timeoutMs }, { signal });
    const access = this.pendingNote;
    if (access) this.pendingNote = '';
    const notes = [
      access,
      r.error && `could not run: ${r.error}`,
      r.oomKilled && 'killed: out of memory',
      r.truncated && 'output truncated',
      r.signal && `ended by signal ${r.signal}`,
    ].filter(Boolean);
    const exitCode = r.exitCode ?? -1;
    if (TEST_COMMAND.test(cmd.argv.join(' '))) this.testsPassed = exitCode === 0 && !r.timedOut;
    return {
      exitCode,
      stdout: r.stdout,
      stderr: notes.length ? `${r.stderr}${r.stderr && !r.stderr.endsWith('\n') ? '\n' : ''}[airlock: ${notes.join('; ')}]` : r.stderr,
      timedOut: r.timedOut,
    };
  }

  /** Destroys the live sandbox, if any (the overlay is unmounted once no container uses it). Concurrent callers (native
   * reads run in parallel) all return only once it is gone: the second must not read while the first still waits. */
  async release(reason: string): Promise<void> {
    const p = this.current;
    this.current = undefined;
    if (!p) {
      await this.releasing;
      return;
    }
    const done = this.destroy(p, reason);
    this.releasing = done;
    try {
      await done;
    } finally {
      if (this.releasing === done) this.releasing = undefined;
    }
  }

  private releasing?: Promise<void>;

  private async destroy(p: Promise<ScheduledSandbox>, reason: string): Promise<void> {
    const sb = await p.catch(() => undefined);
    if (!sb) return;
    // Stopped task: acquireTaskSandbox is already destroying it; release() waits until the container is gone.
    if (this.o.signal?.aborted) return sb.release().catch(() => undefined);
    // Destroyed, never recycled: it had this task's output volume mounted. A container that may still run makes the
    // caller (a read of the output volume) fail instead of reading what it can still change.
    try {
      await this.o.runtime.destroy(sb.id, reason);
    } finally {
      await sb.release().catch(() => undefined);
    }
  }

  async close(reason: string): Promise<void> {
    this.closed = true;
    await this.release(reason);
  }
}
