// Tool router: validates a model's tool call, asks the policy engine, audits, runs the tool and shapes the result.
import { randomUUID } from 'node:crypto';
import type { TaskEvent, ToolCall, ToolDefinition, ToolResult } from '../../../protocol/src/agent';
import { AirlockError, ErrorCodes, isAbortError } from '../../../protocol/src/errors';
import { truncateToolResult } from './context';
import type { ApprovalCallback, GateCall, IAudit, IPolicy, IToolGate, ToolPolicyDecision } from './interfaces';
import type { Sanitiser } from './sanitise';
import type { ITokenCounter } from './tokens';
import { toDefinition, ToolContext, ToolSpec } from './tools/types';

export interface RouterOptions {
  policy: IPolicy;
  audit?: IAudit;
  /** Called for `ask` decisions; without it `ask` is treated as deny (fail closed). */
  approve?: ApprovalCallback;
  sanitiser: Sanitiser;
  counter: ITokenCounter;
  /** Largest tool result the model gets, in tokens (default 8000). */
  maxResultTokens?: number;
  /** Parallel independent calls per turn (default 4). */
  concurrency?: number;
  onEvent?: (e: TaskEvent) => void;
  /** The workflow hook: asked before the policy (may refuse an edit the session's state forbids) and after each call. */
  gate?: IToolGate;
}

export type RouteContext = Omit<ToolContext, 'signal'>;

export class ToolRouter {
  private readonly tools = new Map<string, ToolSpec>();
  private readonly defs: ToolDefinition[];

  constructor(tools: ToolSpec[], private readonly o: RouterOptions) {
    for (const t of tools) this.tools.set(t.name, t);
    this.defs = tools.map(toDefinition);
  }

  definitions(): ToolDefinition[] { return this.defs; }

  /**
   * Runs one turn's calls. Native read-only calls run in parallel (up to the limit); a call that writes or executes
   * waits for everything before it and runs alone, so the model's order is kept wherever order can matter.
   */
  async callAll(calls: ToolCall[], ctx: RouteContext, signal: AbortSignal): Promise<ToolResult[]> {
    const results: ToolResult[] = new Array(calls.length);
    const limit = Math.max(1, this.o.concurrency ?? 4);
    let running: Array<Promise<void>> = [];
    const active = new Set<Promise<void>>();
    for (const [i, call] of calls.entries()) {
      const native = this.tools.get(call.name)?.native ?? true;
      if (!native) { await Promise.all(running); running = []; }
      while (active.size >= limit) await Promise.race(active);
      const p: Promise<void> = this.call(call, ctx, signal).then((r) => { results[i] = r; }).finally(() => active.delete(p));
      active.add(p);
      running.push(p);
      if (!native) { await p; running = []; }
    }
    await Promise.all(running);
    return results;
  }

  async call(call: ToolCall, ctx: RouteContext, signal: AbortSignal): Promise<ToolResult> {
    const started = performance.now();
    const fail = (e: AirlockError): ToolResult => ({ toolCallId: call.id, name: call.name, ok: false, content: this.clean(`error ${e.code}: ${e.message}${e.hint ? `\nhint: ${e.hint}` : ''}`).text, truncated: false, error: e.toPayload(), durationMs: performance.now() - started });
    const tool = this.tools.get(call.name);
    if (!tool) return fail(new AirlockError('TOOL_UNKNOWN', `no tool named ${call.name}`, `available tools: ${[...this.tools.keys()].join(', ')}`));
    let raw: unknown;
    try { raw = JSON.parse(call.arguments || '{}'); } catch (err) { return fail(new AirlockError('TOOL_BAD_ARGUMENTS', `arguments are not valid JSON: ${(err as Error).message}`)); }
    const parsed = tool.input.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      return fail(new AirlockError('TOOL_BAD_ARGUMENTS', `invalid arguments for ${tool.name}: ${issues}`));
    }
    const input = parsed.data;
    const gateCall: GateCall = { callId: call.id, taskId: ctx.taskId, tool: tool.name, capabilities: tool.capabilities, input, paths: tool.paths?.(input) ?? [], command: tool.command?.(input) };
    const verdict = this.o.gate ? await this.o.gate.before(gateCall, signal) : { type: 'pass' as const };
    let decision: ToolPolicyDecision;
    switch (verdict.type) {
      case 'refuse': return fail(verdict.error);
      case 'kernel':
        decision = { decision: 'allow', matched: 'workflow', reason: verdict.reason };
        try { await this.audit('tool.decision', ctx.taskId, { callId: call.id, tool: tool.name, input, decision: 'allow', matched: 'workflow', reason: verdict.reason }, true); } catch (err) {
          return fail(new AirlockError('AUDIT_UNAVAILABLE', `the audit log could not record the call (${(err as Error).message}); refused to fail closed`));
        }
        break;
      case 'pass': decision = await this.decide(tool, input, call, ctx.taskId); break;
      default: { const never: never = verdict; throw new Error(`unknown gate verdict ${String(never)}`); }
    }
    if (decision.decision === 'deny') return fail(new AirlockError(ErrorCodes.PolicyDenied, `policy denied ${tool.name}: ${decision.reason}`, 'choose another approach; this action is not allowed in this mode'));
    if (decision.decision === 'ask') {
      const answer = await this.ask(tool, input, call, ctx.taskId, decision, signal);
      if (answer === 'deny') return fail(new AirlockError(ErrorCodes.PolicyDenied, `the person declined ${tool.name}`, 'ask the person what they want instead, or choose another approach'));
    }
    let result: ToolResult;
    try {
      const out = await tool.run(input, { ...ctx, signal });
      const clean = this.clean(out.content);
      const cut = truncateToolResult(clean.text, this.o.maxResultTokens ?? 8000, this.o.counter);
      result = { toolCallId: call.id, name: call.name, ok: true, content: cut.text, truncated: cut.truncated || clean.truncated, durationMs: performance.now() - started };
      const note = await this.o.gate?.after?.(gateCall, result, signal);
      if (note) result = { ...result, content: `${result.content}\n${this.clean(note).text}`, durationMs: performance.now() - started };
    } catch (err) {
      if (signal.aborted || isAbortError(err)) throw err;
      result = fail(AirlockError.from(err, ((err as NodeJS.ErrnoException).code === 'ENOENT' ? ErrorCodes.NotFound : 'TOOL_FAILED')));
    }
    void this.audit('tool.result', ctx.taskId, { callId: call.id, tool: tool.name, ok: result.ok, durationMs: Math.round(result.durationMs ?? 0), bytes: result.content.length, truncated: result.truncated, error: result.error?.code }, false);
    return result;
  }

  private async decide(tool: ToolSpec, input: unknown, call: ToolCall, taskId: string): Promise<ToolPolicyDecision> {
    let d: ToolPolicyDecision;
    try {
      d = await this.o.policy.evaluate({ kind: 'tool', taskId, tool: tool.name, capabilities: tool.capabilities, input, paths: tool.paths?.(input) ?? [], command: tool.command?.(input) });
    } catch (err) {
      d = { decision: 'deny', reason: `policy evaluation failed (${(err as Error).message}); denied to fail closed` };
    }
    // Decisions are audited synchronously: the trail has the decision before the action runs.
    try {
      await this.audit('tool.decision', taskId, { callId: call.id, tool: tool.name, input, decision: d.decision, matched: d.matched, reason: d.reason }, true);
    } catch (err) {
      return { decision: 'deny', reason: `the audit log could not record the decision (${(err as Error).message}); denied to fail closed` };
    }
    return d;
  }

  private async ask(tool: ToolSpec, input: unknown, call: ToolCall, taskId: string, d: ToolPolicyDecision, signal: AbortSignal): Promise<'allow' | 'deny'> {
    if (!this.o.approve) return 'deny';
    const requestId = `appr_${randomUUID()}`;
    this.o.onEvent?.({ type: 'approval-request', requestId, call: { ...call, arguments: this.clean(call.arguments).text }, reason: d.reason });
    const answer = await this.o.approve({ requestId, tool: tool.name, input: this.o.sanitiser.sanitiseValue(input), reason: d.reason }, signal);
    await this.audit('tool.approval', taskId, { callId: call.id, requestId, tool: tool.name, answer }, true);
    return answer;
  }

  private clean(text: string) { return this.o.sanitiser.sanitise(text); }

  private async audit(kind: string, taskId: string, payload: Record<string, unknown>, sync: boolean): Promise<void> {
    if (!this.o.audit) return;
    await this.o.audit.append({ kind, taskId, payload: this.o.sanitiser.sanitiseValue(payload) }, { sync });
  }
}
