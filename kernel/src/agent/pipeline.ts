// One tool call, start to end, as a chain of named stages; a stage that refuses stops the call with a typed outcome.
import { randomUUID } from 'node:crypto';
import type { TaskEvent, ToolCall, ToolResult } from '../../../protocol/src/agent';
import { AirlockError, ErrorCodes, isAbortError } from '../../../protocol/src/errors';
import { AUDIT_UNAVAILABLE, recordWithThenAct } from '../audit/record';
import { truncateToolResult } from './context';
import type { ApprovalCallback, GateCall, IAudit, IPolicy, IToolGate, ToolPolicyDecision } from './interfaces';
import type { Sanitiser } from './sanitise';
import type { ITokenCounter } from './tokens';
import type { ToolContext, ToolSpec } from './tools/types';

export interface PipelineOptions {
  policy: IPolicy;
  audit?: IAudit;
  /** Called for `ask` decisions; without it `ask` is treated as deny (fail closed). */
  approve?: ApprovalCallback;
  sanitiser: Sanitiser;
  counter: ITokenCounter;
  /** Largest tool result the model gets, in tokens (default 8000). */
  maxResultTokens?: number;
  onEvent?: (e: TaskEvent) => void;
  /** The workflow hook: asked before the policy (may refuse an edit the session's state forbids) and after each call. */
  gate?: IToolGate;
}

export type RouteContext = Omit<ToolContext, 'signal'>;

/** Why a call stopped before its tool ran. Each becomes an error result the model can act on. */
export type Stop =
  /** Unknown tool, arguments that are not JSON or not the tool's schema. Nothing was asked or recorded. */
  | { type: 'invalid'; error: AirlockError }
  /** The workflow gate refused (an edit the session's state forbids); the gate recorded the refusal. */
  | { type: 'refused'; error: AirlockError }
  /** The policy denied (recorded), or the person declined (recorded) or could not be asked. */
  | { type: 'denied'; error: AirlockError }
  /** The audit log could not record a decision or an answer: nothing acts on it (fail closed). */
  | { type: 'unrecorded'; error: AirlockError };

/** How a call ended: stopped by a stage, or its tool ran (`result.ok` false when the tool itself failed). */
export type CallOutcome = Stop | { type: 'ran'; result: ToolResult };

type Step<T> = { type: 'next'; value: T } | Stop;
const next = <T>(value: T): Step<T> => ({ type: 'next', value });

/** One call as it moves through the stages; `started` times the result. */
export interface Call {
  call: ToolCall;
  ctx: RouteContext;
  signal: AbortSignal;
  started: number;
}
interface Validated extends Call {
  tool: ToolSpec;
  input: unknown;
  gateCall: GateCall;
}
/** `workflow`: a kernel operation the gate vouches for (no policy rule applies); `policy`: the policy decides. */
type Gated = Validated & ({ by: 'workflow'; reason: string } | { by: 'policy' });
interface Decided extends Validated {
  decision: ToolPolicyDecision;
}
type Executed = { ok: true; content: string } | { ok: false; error: AirlockError };

/**
 * The whole path of one tool call, in order. Record, then act: the tool is reachable only through a decision (and an
 * answer, for `ask`) that the audit log has durably recorded; a native read may run while its allow commits, but its
 * result is reachable only after (readWhileRecording). The loop streams the returned result as `tool-result`.
 */
export async function runToolCall(o: PipelineOptions, tools: ReadonlyMap<string, ToolSpec>, c: Call): Promise<CallOutcome> {
  const valid = validate(tools, c);
  if (valid.type !== 'next') return valid;
  const gated = await workflowGate(o, valid.value);
  if (gated.type !== 'next') return gated;
  const decided = await policy(o, gated.value);
  if (readsAhead(decided)) return readWhileRecording(o, decided);
  const recorded = await recordDecision(o, decided);
  if (recorded.type !== 'next') return recorded;
  const allowed = await enforce(o, recorded.value);
  if (allowed.type !== 'next') return allowed;
  const executed = await execute(allowed.value);
  const clean = sanitise(o, allowed.value, executed);
  const result = await workflowAfter(o, allowed.value, clean);
  await recordResult(o, allowed.value, result);
  return { type: 'ran', result };
}

/** A kernel-native read-only tool the policy allows outright (no person asked): it may read while its decision commits. */
function readsAhead(d: Decided): boolean {
  return d.tool.native && d.decision.decision === 'allow';
}

/**
 * Record, then act, for a read: the read itself changes nothing, so it runs (and is sanitised) while the decision's
 * durable commit is under way on the audit writer; its result leaves the pipeline only once that commit is done, and a
 * decision that cannot be recorded drops what was read (fail closed). The workflow hears of the call only after it.
 */
async function readWhileRecording(o: PipelineOptions, d: Decided): Promise<CallOutcome> {
  const recording = recordDecision(o, d);
  // The log hands a synchronous entry to its writer on setImmediate (group commit): let it, before the read holds the loop.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const read = execute(d).then(
    (x) => ({ clean: sanitise(o, d, x) }),
    (err: unknown) => ({ cancelled: err }),
  );
  // Both settle before anything goes on: a cancelled read still waits for its decision's record, so none outlives the call.
  const [recorded, done] = await Promise.all([recording, read]);
  if ('cancelled' in done) throw done.cancelled;
  if (recorded.type !== 'next') return recorded;
  const clean = done.clean;
  const result = await workflowAfter(o, d, clean);
  await recordResult(o, d, result);
  return { type: 'ran', result };
}

/** The result the model gets for any outcome. */
export function toResult(o: PipelineOptions, c: Call, outcome: CallOutcome): ToolResult {
  switch (outcome.type) {
    case 'ran':
      return outcome.result;
    case 'invalid':
    case 'refused':
    case 'denied':
    case 'unrecorded':
      return failure(o, c, outcome.error);
    default: {
      const never: never = outcome;
      throw new Error(`unknown call outcome ${String(never)}`);
    }
  }
}

/** Stage 1: the tool exists and the arguments are JSON that fits its schema. */
function validate(tools: ReadonlyMap<string, ToolSpec>, c: Call): Step<Validated> {
  const tool = tools.get(c.call.name);
  if (!tool) {
    const hint = `available tools: ${[...tools.keys()].join(', ')}`;
    return { type: 'invalid', error: new AirlockError('TOOL_UNKNOWN', `no tool named ${c.call.name}`, hint) };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(c.call.arguments || '{}');
  } catch (err) {
    return { type: 'invalid', error: new AirlockError('TOOL_BAD_ARGUMENTS', `arguments are not valid JSON: ${(err as Error).message}`) };
  }
  const parsed = tool.input.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    return { type: 'invalid', error: new AirlockError('TOOL_BAD_ARGUMENTS', `invalid arguments for ${tool.name}: ${issues}`) };
  }
  const input = parsed.data;
  const gateCall: GateCall = {
    callId: c.call.id,
    taskId: c.ctx.taskId,
    tool: tool.name,
    capabilities: tool.capabilities,
    input,
    paths: tool.paths?.(input) ?? [],
    command: tool.command?.(input),
  };
  return next({ ...c, tool, input, gateCall });
}

/** Stage 2: the workflow session may refuse the call, vouch for it (its own tools), or leave it to the policy. */
async function workflowGate(o: PipelineOptions, v: Validated): Promise<Step<Gated>> {
  const verdict = o.gate ? await o.gate.before(v.gateCall, v.signal) : { type: 'pass' as const };
  switch (verdict.type) {
    case 'refuse':
      return { type: 'refused', error: verdict.error };
    case 'kernel':
      return next({ ...v, by: 'workflow', reason: verdict.reason });
    case 'pass':
      return next({ ...v, by: 'policy' });
    default: {
      const never: never = verdict;
      throw new Error(`unknown gate verdict ${String(never)}`);
    }
  }
}

/** Stage 3: the policy's decision; an engine that throws denies (fail closed). */
async function policy(o: PipelineOptions, g: Gated): Promise<Decided> {
  if (g.by === 'workflow') return { ...g, decision: { decision: 'allow', matched: 'workflow', reason: g.reason } };
  try {
    const { taskId, tool, capabilities, input, paths, command } = g.gateCall;
    return { ...g, decision: await o.policy.evaluate({ kind: 'tool', taskId, tool, capabilities, input, paths, command }) };
  } catch (err) {
    return { ...g, decision: { decision: 'deny', reason: `policy evaluation failed (${(err as Error).message}); denied to fail closed` } };
  }
}

/** Stage 4: the decision is durable in the audit trail before anything acts on it, a deny included. */
function recordDecision(o: PipelineOptions, d: Decided): Promise<Step<Decided>> {
  const { decision, matched, reason } = d.decision;
  const payload = { callId: d.call.id, tool: d.tool.name, input: d.input, decision, matched, reason, ...d.tool.auditExtra?.(d.input) };
  return recordThen(o, d, 'tool.decision', payload, 'the decision');
}

/** Stage 5: a deny stops the call; an `ask` goes to the person (their answer recorded before it counts). */
async function enforce(o: PipelineOptions, d: Decided): Promise<Step<Decided>> {
  const { decision, reason } = d.decision;
  switch (decision) {
    case 'allow':
      return next(d);
    case 'deny':
      return {
        type: 'denied',
        error: new AirlockError(
          ErrorCodes.PolicyDenied,
          `policy denied ${d.tool.name}: ${reason}`,
          'choose another approach; this action is not allowed in this mode',
        ),
      };
    case 'ask': {
      const declined: Stop = {
        type: 'denied',
        error: new AirlockError(
          ErrorCodes.PolicyDenied,
          `the person declined ${d.tool.name}`,
          'ask the person what they want instead, or choose another approach',
        ),
      };
      if (!o.approve) return declined;
      const requestId = `appr_${randomUUID()}`;
      const tool = d.tool.name;
      const shown = { ...d.call, arguments: o.sanitiser.sanitise(d.call.arguments).text };
      o.onEvent?.({ type: 'approval-request', requestId, call: shown, reason });
      const given = await o.approve({ requestId, tool, input: o.sanitiser.sanitiseValue(d.input), reason }, d.signal);
      const { answer, note } = typeof given === 'string' ? { answer: given, note: undefined } : given;
      const said = note?.trim() ? o.sanitiser.sanitise(note.trim()).text : undefined;
      const recorded = await recordThen(
        o,
        d,
        'tool.approval',
        { callId: d.call.id, requestId, tool, answer, ...(said ? { note: said } : {}) },
        "the person's answer",
      );
      // The person's reason is the model's feedback: it says what to do instead.
      const because: Stop = {
        type: 'denied',
        error: new AirlockError(
          ErrorCodes.PolicyDenied,
          `the person declined ${tool}: "${said}"`,
          "follow the person's reason above; do not retry the same call unchanged",
        ),
      };
      return recorded.type === 'next' && answer === 'deny' ? (said ? because : declined) : recorded;
    }
    default: {
      const never: never = decision;
      throw new Error(`unknown policy decision ${String(never)}`);
    }
  }
}

/** Stage 6: the tool runs. Its failure is a result for the model; a cancellation goes up. */
async function execute(d: Decided): Promise<Executed> {
  try {
    return { ok: true, content: (await d.tool.run(d.input, { ...d.ctx, signal: d.signal })).content };
  } catch (err) {
    if (d.signal.aborted || isAbortError(err)) throw err;
    const enoent = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return { ok: false, error: AirlockError.from(err, enoent ? ErrorCodes.NotFound : 'TOOL_FAILED') };
  }
}

/** Stage 7: secrets redacted, control characters stripped, the text cut to the model's budget. */
function sanitise(o: PipelineOptions, c: Call, x: Executed): ToolResult {
  if (!x.ok) return failure(o, c, x.error);
  const clean = o.sanitiser.sanitise(x.content);
  const cut = truncateToolResult(clean.text, o.maxResultTokens ?? 8000, o.counter);
  return {
    toolCallId: c.call.id,
    name: c.call.name,
    ok: true,
    content: cut.text,
    truncated: cut.truncated || clean.truncated,
    durationMs: performance.now() - c.started,
  };
}

/** Stage 8: the workflow hears of the call (a test run may move the session) and may add a note for the model. */
async function workflowAfter(o: PipelineOptions, v: Validated, result: ToolResult): Promise<ToolResult> {
  if (!result.ok || !o.gate?.after) return result;
  try {
    const note = await o.gate.after(v.gateCall, result, v.signal);
    if (!note) return result;
    return { ...result, content: `${result.content}\n${o.sanitiser.sanitise(note).text}`, durationMs: performance.now() - v.started };
  } catch (err) {
    if (v.signal.aborted || isAbortError(err)) throw err;
    return failure(o, v, AirlockError.from(err, 'TOOL_FAILED'));
  }
}

/**
 * Stage 9: the result joins the trail (buffered: the tool already ran, nothing waits on it). A log that fails here
 * refuses the next decision; this rejection must not escape unhandled.
 */
async function recordResult(o: PipelineOptions, v: Validated, r: ToolResult): Promise<void> {
  const payload = {
    callId: v.call.id,
    tool: v.tool.name,
    ok: r.ok,
    durationMs: Math.round(r.durationMs ?? 0),
    bytes: r.content.length,
    truncated: r.truncated,
    error: r.error?.code,
  };
  await append(o, 'tool.result', v.ctx.taskId, payload, false).catch(() => undefined);
}

/** Record, then act (audit/record.ts): the call goes on only once `kind` is durable; a log that cannot write stops it. */
async function recordThen<T extends Call>(
  o: PipelineOptions,
  value: T,
  kind: string,
  payload: Record<string, unknown>,
  what: string,
): Promise<Step<T>> {
  let cause: unknown;
  const record = () =>
    append(o, kind, value.ctx.taskId, payload, true).catch((err: unknown) => {
      cause = err;
      throw err;
    });
  try {
    return await recordWithThenAct(record, kind, () => next(value));
  } catch (err) {
    const why = ((cause ?? err) as Error).message;
    const message = `the audit log could not record ${what} (${why}); ${value.call.name} was refused to fail closed`;
    const hint = 'no tool runs while the audit log cannot write; tell the person';
    return { type: 'unrecorded', error: new AirlockError(AUDIT_UNAVAILABLE, message, hint) };
  }
}

async function append(o: PipelineOptions, kind: string, taskId: string, payload: Record<string, unknown>, sync: boolean): Promise<void> {
  if (!o.audit) return;
  await o.audit.append({ kind, taskId, payload: o.sanitiser.sanitiseValue(payload) }, { sync });
}

/** An error result: the code, message and hint as text (sanitised: messages can quote tool output). */
function failure(o: PipelineOptions, c: Call, e: AirlockError): ToolResult {
  const text = `error ${e.code}: ${e.message}${e.hint ? `\nhint: ${e.hint}` : ''}`;
  const content = o.sanitiser.sanitise(text).text;
  const durationMs = performance.now() - c.started;
  return { toolCallId: c.call.id, name: c.call.name, ok: false, content, truncated: false, error: e.toPayload(), durationMs };
}
