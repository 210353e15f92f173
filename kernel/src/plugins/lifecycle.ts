// A plugin's lifecycle: discovered → verified → approved → starting → ready, or failed/stopped. Every transition is
// recorded in the audit log before it counts: a transition that cannot be recorded does not happen.
import { AirlockError } from '../../../protocol/src/errors';
import type { PluginStateName } from '../../../protocol/src/methods/plugins';

/** Where each state may go next. `failed` may be verified again (the host reconfigures it); `stopped` is final. */
export function nextStates(from: PluginStateName): readonly PluginStateName[] {
  switch (from) {
    case 'discovered':
      return ['verified', 'failed', 'stopped'];
    case 'verified':
      return ['approved', 'failed', 'stopped'];
    case 'approved':
      return ['starting', 'failed', 'stopped'];
    case 'starting':
      return ['ready', 'failed', 'stopped'];
    case 'ready':
      return ['failed', 'stopped'];
    case 'failed':
      return ['stopped'];
    case 'stopped':
      return [];
    default: {
      const never: never = from;
      throw new Error(`unknown plugin state ${String(never)}`);
    }
  }
}

/** One transition as the audit log gets it (action `plugin.<to>`, subject `plugin:<name>`). */
export interface PluginTransition {
  plugin: string;
  from: PluginStateName | null;
  to: PluginStateName;
  reason: string;
  payload: Record<string, unknown>;
}
/** Durable before it resolves (the audit writer's sync append); a rejection keeps the plugin where it was. */
export type PluginRecorder = (t: PluginTransition) => Promise<void>;

const MAX_HISTORY = 64;

export class PluginLifecycle {
  private st: PluginStateName | null = null;
  private why?: string;
  private queue: Promise<unknown> = Promise.resolve();
  /** Each transition that happened, oldest first (for `plugins/logs`). */
  readonly history: string[] = [];

  constructor(
    readonly plugin: string,
    private readonly record: PluginRecorder,
  ) {}

  /** Null until the first transition (`discovered`) was recorded. */
  get state(): PluginStateName | null {
    return this.st;
  }
  get reason(): string | undefined {
    return this.why;
  }

  /** The first state: recorded like every other. */
  discover(payload: Record<string, unknown>): Promise<void> {
    return this.serial(() => this.apply(null, 'discovered', 'found', payload));
  }

  /**
   * Moves to `to` (record, then act). Refused (PLUGIN_TRANSITION) when `to` cannot follow the current state; a failed
   * record rejects and leaves the state as it was. Transitions are serialised: each sees the one before it.
   */
  to(to: PluginStateName, reason: string, payload: Record<string, unknown> = {}): Promise<void> {
    return this.serial(async () => {
      const from = this.st;
      if (from === null || !nextStates(from).includes(to)) {
        throw new AirlockError(
          'PLUGIN_TRANSITION',
          `plugin ${this.plugin} cannot go from ${from ?? 'nothing'} to ${to}`,
          'a plugin is approved once verified, and started once approved',
        );
      }
      await this.apply(from, to, reason, payload);
    });
  }

  /** Like `to`, but a no-op when the plugin already left for `failed` or `stopped` (a crash racing a stop). */
  async settle(to: 'failed' | 'stopped', reason: string, payload: Record<string, unknown> = {}): Promise<void> {
    await this.serial(async () => {
      const from = this.st;
      if (from === null || from === to || !nextStates(from).includes(to)) return;
      await this.apply(from, to, reason, payload);
    });
  }

  private async apply(from: PluginStateName | null, to: PluginStateName, reason: string, payload: Record<string, unknown>): Promise<void> {
    await this.record({ plugin: this.plugin, from, to, reason, payload });
    this.st = to;
    this.why = to === 'failed' || to === 'stopped' || to === 'verified' ? reason : undefined;
    this.history.push(`${new Date().toISOString()} ${from ?? '-'} → ${to}: ${reason}`);
    if (this.history.length > MAX_HISTORY) this.history.shift();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
