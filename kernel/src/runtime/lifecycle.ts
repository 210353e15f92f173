// The sandbox lifecycle state machine: legal transitions only, each one reported to an audit sink.
import { z } from 'zod';
import { AirlockError } from '../../../protocol/src/errors';

export const SandboxState = z.enum(['requested', 'creating', 'ready', 'running', 'paused', 'stopping', 'destroyed', 'failed']);
export type SandboxState = z.infer<typeof SandboxState>;

/** From each state, where it may go. `running` → `ready` is a command finishing; `failed` may still be cleaned up. */
export const TRANSITIONS: Readonly<Record<SandboxState, readonly SandboxState[]>> = {
  requested: ['creating', 'failed', 'destroyed'],
  creating: ['ready', 'failed', 'stopping'],
  ready: ['running', 'paused', 'stopping', 'failed'],
  running: ['ready', 'paused', 'stopping', 'failed'],
  // Back to `running` when it was paused (preempted) with a command in flight.
  paused: ['ready', 'running', 'stopping', 'failed'],
  stopping: ['destroyed', 'failed'],
  failed: ['stopping', 'destroyed'],
  destroyed: [],
};

export interface SandboxTransition {
  sandboxId: string;
  template: string;
  session: string;
  from: SandboxState;
  to: SandboxState;
  at: number;
  /** Why, when it is not the obvious next step: `deadline`, `oom`, `exit 137`, an engine error... */
  reason?: string;
}

/** What the runtime needs from the audit module; the kernel adapts its audit log to this. A sink that throws
 * blocks the transition (fail closed): nothing happens to a sandbox that is not recorded. */
export interface ISandboxAuditSink {
  record(t: SandboxTransition): void;
}

export const noAudit: ISandboxAuditSink = { record: () => {} };

export function canTransition(from: SandboxState, to: SandboxState): boolean {
  return TRANSITIONS[from].includes(to);
}

export class SandboxLifecycle {
  private _state: SandboxState = 'requested';
  private readonly history: SandboxTransition[] = [];

  constructor(
    readonly sandboxId: string,
    readonly template: string,
    readonly session: string,
    private readonly sink: ISandboxAuditSink,
    private readonly onChange?: (t: SandboxTransition) => void,
  ) {}

  get state(): SandboxState {
    return this._state;
  }
  get transitions(): readonly SandboxTransition[] {
    return this.history;
  }
  get isTerminal(): boolean {
    return this._state === 'destroyed';
  }

  /** Moves to `to` or throws SANDBOX_BAD_TRANSITION; the audit sink sees it before anyone else. */
  to(to: SandboxState, reason?: string): SandboxTransition {
    const from = this._state;
    if (!canTransition(from, to)) {
      throw new AirlockError(
        'SANDBOX_BAD_TRANSITION',
        `sandbox ${this.sandboxId} cannot go from ${from} to ${to}`,
        `from ${from} it may go to: ${TRANSITIONS[from].join(', ') || 'nothing (terminal)'}`,
      );
    }
    const t: SandboxTransition = {
      sandboxId: this.sandboxId,
      template: this.template,
      session: this.session,
      from,
      to,
      at: Date.now(),
      reason,
    };
    this.sink.record(t);
    this._state = to;
    this.history.push(t);
    this.onChange?.(t);
    return t;
  }

  /** Like `to` but a no-op when the move is illegal (for best-effort paths such as cleanup after failure). */
  tryTo(to: SandboxState, reason?: string): boolean {
    if (!canTransition(this._state, to)) return false;
    this.to(to, reason);
    return true;
  }
}
