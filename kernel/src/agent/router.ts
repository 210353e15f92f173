// Tool router: the tools a task may call and the order its calls run in; each call goes through pipeline.ts.
import type { ToolCall, ToolDefinition, ToolResult } from '../../../protocol/src/agent';
import { runToolCall, toResult, type PipelineOptions, type RouteContext } from './pipeline';
import { toDefinition, type ToolSpec } from './tools/types';

export interface RouterOptions extends PipelineOptions {
  /** Parallel independent calls per turn (default 4). */
  concurrency?: number;
}

export type { RouteContext } from './pipeline';

export class ToolRouter {
  private readonly tools = new Map<string, ToolSpec>();
  private readonly defs: ToolDefinition[];

  constructor(
    tools: ToolSpec[],
    private readonly o: RouterOptions,
  ) {
    for (const t of tools) this.tools.set(t.name, t);
    this.defs = tools.map(toDefinition);
  }

  definitions(): ToolDefinition[] {
    return this.defs;
  }

  /**
   * Runs one turn's calls. Native read-only calls run in parallel (up to the limit); a call that writes or executes
   * waits for everything before it and runs alone, so the model's order is kept wherever order can matter.
   */
  async callAll(calls: ToolCall[], ctx: RouteContext, signal: AbortSignal): Promise<ToolResult[]> {
    const results = new Array<ToolResult>(calls.length);
    const limit = Math.max(1, this.o.concurrency ?? 4);
    let running: Array<Promise<void>> = [];
    const active = new Set<Promise<void>>();
    for (const [i, call] of calls.entries()) {
      const native = this.tools.get(call.name)?.native ?? true;
      if (!native) {
        await Promise.all(running);
        running = [];
      }
      while (active.size >= limit) await Promise.race(active);
      const p: Promise<void> = this.call(call, ctx, signal)
        .then((r) => {
          results[i] = r;
        })
        .finally(() => active.delete(p));
      active.add(p);
      running.push(p);
      if (!native) {
        await p;
        running = [];
      }
    }
    await Promise.all(running);
    return results;
  }

  /** One call through the pipeline (validate, workflow gate, policy, record, execute, sanitise, record). */
  async call(call: ToolCall, ctx: RouteContext, signal: AbortSignal): Promise<ToolResult> {
    const c = { call, ctx, signal, started: performance.now() };
    return toResult(this.o, c, await runToolCall(this.o, this.tools, c));
  }
}
