// One sandbox: its container, its lifecycle, its exec agent and its deadline.
import { AirlockError } from '../../../protocol/src/errors';
import { type AgentClient, type AgentRequest, type ExecResult } from './exec-agent';
import type { SandboxLifecycle, SandboxState } from './lifecycle';
import type { SandboxTemplate } from '../../../core/src/templates';
import type { IContainerRuntime, MountSpec } from './types';

export type ExecVia = 'agent' | 'docker-exec';

export interface SandboxInfo {
  id: string;
  template: string;
  session: string;
  state: SandboxState;
  containerId?: string;
  image: string;
  engine: string;
  createdAt: number;
  deadline: number;
  mounts: MountSpec[];
  /** Why it failed or was destroyed, when not on request. */
  reason?: string;
  /** The scheduler task it works for (preemption pauses or destroys a task's sandboxes together). */
  task?: string;
  /** Who paused it, while paused: a person (`sandbox/pause`) or the scheduler making room for a more urgent task. */
  pausedBy?: PausedBy;
}

export type PausedBy = 'request' | 'preemption';

export class Sandbox {
  containerId?: string;
  agent?: AgentClient;
  deadlineTimer?: NodeJS.Timeout;
  reason?: string;
  task?: string;
  pausedBy?: PausedBy;
  /** Its egress socket folder as the kernel sees it (mounted at SANDBOX_EGRESS_DIR inside), when it has egress. */
  stdioFolder?: string;
  /** Resolved when a preemption pause ends: commands sent meanwhile wait for it instead of failing. */
  private unpaused?: { promise: Promise<void>; resolve: () => void };
  readonly createdAt = Date.now();

  constructor(
    readonly id: string,
    readonly template: SandboxTemplate,
    readonly lifecycle: SandboxLifecycle,
    readonly runtime: IContainerRuntime,
    readonly image: string,
    readonly deadline: number,
    readonly mounts: MountSpec[],
    readonly volumes: string[],
  ) {}

  private runningCount = 0;

  info(): SandboxInfo {
    return {
      id: this.id,
      template: this.template.name,
      session: this.lifecycle.session,
      state: this.lifecycle.state,
      containerId: this.containerId,
      image: this.image,
      engine: this.runtime.engine,
      createdAt: this.createdAt,
      deadline: this.deadline,
      mounts: this.mounts,
      reason: this.reason,
      ...(this.task ? { task: this.task } : {}),
      ...(this.pausedBy ? { pausedBy: this.pausedBy } : {}),
    };
  }

  /** A command is in flight (the lifecycle says `running`, or `paused` with a frozen command). */
  get busy(): boolean {
    return this.runningCount > 0;
  }

  markPaused(by: PausedBy): void {
    this.pausedBy = by;
    this.agent?.suspendDeadlines();
    if (by === 'preemption' && !this.unpaused) {
      let resolve!: () => void;
      this.unpaused = {
        promise: new Promise<void>((r) => {
          resolve = r;
        }),
        resolve,
      };
    }
  }

  markResumed(): void {
    this.pausedBy = undefined;
    this.agent?.resumeDeadlines();
    this.unpaused?.resolve();
    this.unpaused = undefined;
  }

  /** While paused for preemption, a task's next command waits for the resume (its work does not know it was paused). */
  private async waitUnpaused(signal?: AbortSignal): Promise<void> {
    const u = this.unpaused;
    if (!u) return;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      u.promise.then(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, reject);
    });
  }

  /** Runs one command; the lifecycle shows `running` while any command runs. OOM kills and deaths are reported. */
  async exec(req: AgentRequest, via: ExecVia, signal?: AbortSignal): Promise<ExecResult> {
    if (this.lifecycle.state === 'paused' && this.pausedBy === 'preemption') await this.waitUnpaused(signal);
    const s = this.lifecycle.state;
    if (s !== 'ready' && s !== 'running') {
      throw new AirlockError(
        'SANDBOX_NOT_READY',
        `sandbox ${this.id} is ${s}`,
        s === 'paused' ? 'resume it first' : 'create a new sandbox',
      );
    }
    if (this.runningCount++ === 0) this.lifecycle.to('running');
    try {
      const r = via === 'agent' && this.agent ? await this.agent.exec(req, signal) : await this.dockerExec(req, signal);
      if (r.oomKilled) this.reason = `command ${JSON.stringify(req.argv[0])} was OOM-killed (memory limit ${this.template.limits.memory})`;
      return r;
    } catch (err) {
      await this.noteDeath(err);
      throw err;
    } finally {
      if (--this.runningCount === 0 && this.lifecycle.state === 'running') this.lifecycle.to('ready');
    }
  }

  private async dockerExec(req: AgentRequest, signal?: AbortSignal): Promise<ExecResult> {
    const t = performance.now();
    const argv = req.stdin !== undefined ? ['sh', '-c', `printf %s "$AIRLOCK_STDIN" | base64 -d | "$@"`, 'sh', ...req.argv] : req.argv;
    const env = req.stdin !== undefined ? { ...req.env, AIRLOCK_STDIN: req.stdin } : req.env;
    const r = await this.runtime.exec(this.containerId!, argv, {
      user: this.template.user,
      env,
      workingDir: req.cwd ?? this.template.workdir,
      signal,
      maxOutput: req.maxOutput,
    });
    return {
      exitCode: r.exitCode,
      signal: r.exitCode > 128 ? `signal ${r.exitCode - 128}` : null,
      stdout: r.stdout.toString('utf8'),
      stderr: r.stderr.toString('utf8'),
      truncated: r.truncated ?? false,
      timedOut: false,
      oomKilled: false,
      durationMs: performance.now() - t,
      via: 'docker-exec',
    };
  }

  /** When the agent or container is gone, find out why (OOM, exit code) and mark the sandbox failed. */
  async noteDeath(cause: unknown): Promise<void> {
    const code = (cause as AirlockError).code;
    if (!this.containerId) return;
    // The agent stopped answering or its output was flooded: nothing it says can be trusted, so the sandbox is failed
    // and its processes are stopped now (the container is removed when it is destroyed).
    if (code === 'SANDBOX_AGENT_UNRESPONSIVE' || code === 'SANDBOX_AGENT_FLOOD') {
      this.reason = (cause as AirlockError).message;
      this.lifecycle.tryTo('failed', this.reason);
      await this.runtime.kill(this.containerId).catch(() => undefined);
      return;
    }
    if (code !== 'SANDBOX_AGENT_GONE') return;
    try {
      const st = await this.runtime.inspect(this.containerId);
      if (st.running) return;
      this.reason = st.oomKilled
        ? `the sandbox was OOM-killed (memory limit ${this.template.limits.memory})`
        : `the sandbox exited with code ${st.exitCode}${st.error ? `: ${st.error}` : ''}`;
    } catch {
      this.reason = 'the sandbox container disappeared';
    }
    this.lifecycle.tryTo('failed', this.reason);
  }
}
