// The agent loop: provider stream -> tool calls -> router -> results -> next turn, streaming task events, cancellable.
import type { Budgets, ChatMessage, ImageInput, TaskEvent, TaskStatus, ToolCall } from '../../../protocol/src/agent';
import type { HistoryTurn } from '../../../protocol/src/methods/agent';
import { AirlockError, cancelledError, type ErrorPayload, isAbortError } from '../../../protocol/src/errors';
import { BUDGET_EXCEEDED, BudgetTracker } from './budget';
import { fitWindow, historyMessages } from './context';
import type { AgentLogger } from './interfaces';
import type { ModelInfo } from './models';
import type { IProvider } from './providers/types';
import { RetryingProvider, type RetryOptions } from './retry';
import type { RouteContext, ToolRouter } from './router';
import { countMessage, type ITokenCounter } from './tokens';

export interface AgentTaskOptions {
  prompt: string;
  /** Images given with the prompt (task/start `images`): part of the prompt's message. */
  images?: ImageInput[];
  /** Earlier turns of the conversation (task/start `history`), given to the model before the prompt. */
  history?: readonly HistoryTurn[];
  system?: string;
  model: string;
  modelInfo: ModelInfo;
  provider: IProvider;
  router: ToolRouter;
  /**
   * What the tools act on. A promise while the task's workspace is still being made (during the first model request):
   * awaited before any tool call and before the task may finish; its failure stops the model request and fails the task.
   */
  routeContext: RouteContext | Promise<RouteContext>;
  counter: ITokenCounter;
  budgets?: Budgets;
  maxOutputTokens?: number;
  retry?: Partial<RetryOptions>;
  onEvent: (e: TaskEvent) => void;
  log?: AgentLogger;
  signal: AbortSignal;
  now?: () => number;
  /**
   * Asked when the model ends its turn without tool calls. A string is a refusal to finish (e.g. the workflow session
   * cannot reach review): it is sent to the model as the next user message and the loop goes on (within the budgets).
   */
  beforeFinish?: (signal: AbortSignal) => Promise<string | undefined>;
  /** Awaited before each model request: a task paused by the scheduler gave its model-request slot back. */
  beforeTurn?: (signal: AbortSignal) => Promise<void>;
}

export interface AgentTaskResult {
  status: TaskStatus;
  message: string;
  messages: ChatMessage[];
  error?: ErrorPayload;
  turns: number;
}

export async function runAgentTask(o: AgentTaskOptions): Promise<AgentTaskResult> {
  const budget = new BudgetTracker(o.budgets, o.modelInfo, o.now);
  // The wall-time budget is enforced by aborting everything in flight, not just checked between turns.
  const ac = new AbortController();
  const onOuterAbort = () => ac.abort(o.signal.reason ?? cancelledError('task'));
  if (o.signal.aborted) onOuterAbort();
  else o.signal.addEventListener('abort', onOuterAbort, { once: true });
  const wall = setTimeout(() => ac.abort(budget.wallTimeError()), budget.wallRemainingMs);
  const ready = Promise.resolve(o.routeContext);
  ready.catch((err: unknown) => ac.abort(AirlockError.from(err)));
  const earlier = historyMessages(o.history ?? []);
  const messages: ChatMessage[] = [...earlier, { role: 'user', content: o.prompt, ...(o.images?.length ? { images: o.images } : {}) }];
  let text = '';
  let calls: ToolCall[] = [];
  const provider = new RetryingProvider(o.provider, {
    ...o.retry,
    onRetry: (r) => {
      o.log?.('warn', `provider ${o.provider.name}: ${r.code} (${r.reason}); retry ${r.attempt} in ${r.delayMs} ms`);
      o.onEvent({ type: 'retry', attempt: r.attempt, delayMs: r.delayMs, reason: r.reason, discardPartial: r.discardPartial });
      if (r.discardPartial) {
        text = '';
        calls = [];
      }
      o.retry?.onRetry?.(r);
    },
  });
  const finish = (status: TaskStatus, message: string, error?: ErrorPayload): AgentTaskResult => {
    o.onEvent({ type: 'finished', status, message, ...(error ? { error } : {}) });
    return { status, message, messages, error, turns: budget.turns };
  };
  try {
    const fixed = (o.system ? o.counter.count(o.system) : 0) + o.counter.count(JSON.stringify(o.router.definitions()));
    const maxOut = o.maxOutputTokens ?? Math.min(8192, Math.floor(o.modelInfo.contextWindow / 4));
    const windowBudget = Math.max(1024, o.modelInfo.contextWindow - maxOut - fixed);
    for (;;) {
      ac.signal.throwIfAborted();
      await o.beforeTurn?.(ac.signal);
      budget.beginTurn();
      o.onEvent({ type: 'turn-start', turn: budget.turns });
      const win = fitWindow(messages, windowBudget, o.counter, earlier.length);
      if (win.dropped) o.onEvent({ type: 'context-trimmed', droppedMessages: win.dropped, summaryTokens: win.summaryTokens });
      text = '';
      calls = [];
      let reason: string | undefined;
      for await (const ev of provider.stream(
        { model: o.model, system: o.system, messages: win.messages, tools: o.router.definitions(), maxOutputTokens: maxOut },
        ac.signal,
      )) {
        switch (ev.type) {
          case 'text-delta':
            text += ev.text;
            o.onEvent({ type: 'text-delta', text: ev.text });
            break;
          case 'tool-call-start':
          case 'tool-call-delta':
            break; // the UI shows calls once their arguments are complete
          case 'tool-call-end':
            calls.push({ id: ev.id, name: ev.name, arguments: ev.arguments });
            break;
          case 'usage':
            budget.addUsage(ev.usage);
            if (!o.counter.exact) o.counter.calibrate(win.tokens + fixed, ev.usage.inputTokens);
            o.onEvent({ type: 'usage', usage: ev.usage, totalTokens: budget.totalTokens, costUsd: budget.costUsd });
            break;
          case 'finish':
            reason = ev.reason;
            break;
          case 'error':
            throw AirlockError.fromPayload(ev.error);
          default: {
            const never: never = ev;
            void never;
          }
        }
      }
      messages.push({ role: 'assistant', content: text, toolCalls: calls });
      budget.check();
      const routeContext = await ready;
      if (!calls.length && o.beforeFinish) {
        const refusal = await o.beforeFinish(ac.signal);
        if (refusal) {
          messages.push({ role: 'user', content: refusal });
          continue;
        }
      }
      if (!calls.length) {
        const note =
          reason === 'length'
            ? ' (the model hit its output limit)'
            : reason === 'content-filter'
              ? ' (the provider filtered the output)'
              : '';
        return finish('completed', (text.trim() || 'done') + note);
      }
      for (const c of calls) o.onEvent({ type: 'tool-call', call: c });
      const results = await o.router.callAll(calls, routeContext, ac.signal);
      for (const r of results) {
        o.onEvent({ type: 'tool-result', result: r });
        messages.push({ role: 'tool', toolCallId: r.toolCallId, name: r.name, content: r.content, isError: !r.ok });
      }
    }
  } catch (err) {
    const e: unknown =
      ac.signal.aborted && !(err instanceof AirlockError && err.code === BUDGET_EXCEEDED) ? ((ac.signal.reason as unknown) ?? err) : err;
    if (e instanceof AirlockError && e.code === BUDGET_EXCEEDED) return finish('budget-exceeded', e.message, e.toPayload());
    if (isAbortError(e) || o.signal.aborted)
      return finish('cancelled', 'Task cancelled: the model request was aborted and no further tools were run.');
    const ae = AirlockError.from(e);
    return finish('failed', `Task failed: ${ae.message}`, ae.toPayload());
  } finally {
    clearTimeout(wall);
    o.signal.removeEventListener('abort', onOuterAbort);
  }
}

/** Exposed for tests and the CLI: the token size of a conversation as the loop counts it. */
export function conversationTokens(messages: ChatMessage[], counter: ITokenCounter): number {
  return messages.reduce((n, m) => n + countMessage(counter, m), 0);
}
