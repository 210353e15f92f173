// Hard per-task budgets (tokens, cost, turns, wall time): exceeding one stops the task with a clear message.
import type { Budgets, Usage } from '../../../protocol/src/agent';
import { AirlockError } from '../../../protocol/src/errors';
import type { ModelInfo } from './models';

export const BUDGET_EXCEEDED = 'AGENT_BUDGET_EXCEEDED';

export const DEFAULT_BUDGETS: Required<Budgets> = { maxTokens: 2_000_000, maxCostUsd: 5, maxTurns: 50, maxWallMs: 30 * 60_000 };

export class BudgetTracker {
  private readonly limits: Required<Budgets>;
  private readonly startedAt: number;
  turns = 0;
  inputTokens = 0;
  outputTokens = 0;
  costUsd = 0;

  constructor(
    budgets: Budgets = {},
    private readonly price: Pick<ModelInfo, 'inputPerMTok' | 'outputPerMTok'>,
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...DEFAULT_BUDGETS, ...budgets };
    this.startedAt = now();
  }

  get totalTokens(): number {
    return this.inputTokens + this.outputTokens;
  }
  get limitsInForce(): Readonly<Required<Budgets>> {
    return this.limits;
  }
  /** Milliseconds of wall time left (for the loop's timer). */
  get wallRemainingMs(): number {
    return Math.max(0, this.startedAt + this.limits.maxWallMs - this.now());
  }

  addUsage(u: Usage): void {
    this.inputTokens += u.inputTokens;
    this.outputTokens += u.outputTokens;
    const cached = u.cachedInputTokens ?? 0;
    // Cached input is billed at a discount by every vendor; count it at a quarter so cost budgets stay conservative.
    this.costUsd += ((u.inputTokens - cached + cached * 0.25) * this.price.inputPerMTok + u.outputTokens * this.price.outputPerMTok) / 1e6;
  }

  /** Call before starting a turn: throws when the next turn would exceed the turn budget or another budget is spent. */
  beginTurn(): void {
    this.check();
    if (this.turns >= this.limits.maxTurns) throw this.stop('turns', `${this.turns} model turns`, `${this.limits.maxTurns}`);
    this.turns++;
  }

  check(): void {
    if (this.totalTokens >= this.limits.maxTokens)
      throw this.stop('tokens', `${this.totalTokens} tokens`, `${this.limits.maxTokens} tokens`);
    if (this.costUsd >= this.limits.maxCostUsd) throw this.stop('cost', `$${this.costUsd.toFixed(4)}`, `$${this.limits.maxCostUsd}`);
    const wall = this.now() - this.startedAt;
    if (wall >= this.limits.maxWallMs)
      throw this.stop('wall time', `${Math.round(wall / 1000)} s`, `${Math.round(this.limits.maxWallMs / 1000)} s`);
  }

  wallTimeError(): AirlockError {
    return this.stop('wall time', `${Math.round((this.now() - this.startedAt) / 1000)} s`, `${Math.round(this.limits.maxWallMs / 1000)} s`);
  }

  private stop(what: string, used: string, limit: string): AirlockError {
    return new AirlockError(
      BUDGET_EXCEEDED,
      `Task stopped: the ${what} budget is used up (${used} of ${limit}).`,
      'raise the budget for this task (the airlock.budget.* settings in VS Code, or `budget` in task/start) or split the task into smaller ones',
      { budget: what, turns: this.turns, tokens: this.totalTokens, costUsd: this.costUsd },
    );
  }
}
