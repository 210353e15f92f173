// The small interfaces the agent core needs from policy, audit, sandboxes and output volumes (wired by main.ts).
import type { AirlockError } from '../../../protocol/src/errors';
import type { TreeRoot } from './tools/view';

/** What the policy engine is asked about one tool call. */
export interface ToolPolicyRequest {
  kind: 'tool';
  taskId: string;
  tool: string;
  capabilities: string[];
  /** Validated tool input (after schema parsing). */
  input: unknown;
  /** Workspace-relative paths the call touches, when the tool declares them. */
  paths: string[];
  /** The command line for exec-like tools. */
  command?: string;
}

export type PolicyVerdict = 'allow' | 'ask' | 'deny';

export interface ToolPolicyDecision {
  decision: PolicyVerdict;
  /** Id of the rule that matched (for the audit trail). */
  matched?: string;
  reason: string;
}

export interface IPolicy {
  evaluate(request: ToolPolicyRequest): ToolPolicyDecision | Promise<ToolPolicyDecision>;
}

export interface AgentAuditEntry {
  kind: string;
  taskId: string;
  payload: Record<string, unknown>;
}

export interface IAudit {
  /** `sync: true` = durable before returning (decisions); otherwise it may be buffered. */
  append(entry: AgentAuditEntry, opts: { sync: boolean }): void | Promise<void>;
}

export interface SandboxCommand {
  argv: string[];
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface SandboxResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
}

export interface ISandboxExec {
  exec(cmd: SandboxCommand, signal: AbortSignal): Promise<SandboxResult>;
}

export interface IOutputVolume {
  /** Writes a whole file into the task's output volume (becomes part of the patch set). */
  write(relPath: string, content: string, signal: AbortSignal): Promise<void>;
  /** Current content as the task sees it (output volume over the read-only workspace), or undefined if absent. */
  read(relPath: string, signal: AbortSignal): Promise<string | undefined>;
  /** The tree search.grep / search.glob / fs.list walk: the task's view (its edits over the workspace). */
  view?(signal: AbortSignal): Promise<TreeRoot>;
}

/**
 * The person's answer. With a `note` (the reason typed when denying), the model gets it as the call's result and the
 * audit log keeps it with the answer.
 */
export type ApprovalAnswer = 'allow' | 'deny' | { answer: 'allow' | 'deny'; note?: string };
/** Asks the person; resolves with their answer. The loop emits an approval-request event before calling it. */
export type ApprovalCallback = (
  req: { requestId: string; tool: string; input: unknown; reason: string },
  signal: AbortSignal,
) => Promise<ApprovalAnswer>;

export type AgentLogger = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

/** One validated tool call as the gate sees it (before the policy is asked). */
export type GateCall = Omit<ToolPolicyRequest, 'kind'> & { callId: string };

/**
 * What the gate says before the policy: `pass` (the policy decides as usual), `refuse` (the model gets this error; the
 * gate has audited it), or `kernel` (a kernel operation such as workflow.transition that touches no file and runs no
 * model-chosen command: no policy rule applies; the router audits it as allowed with this reason).
 */
export type GateVerdict = { type: 'pass' } | { type: 'refuse'; error: AirlockError } | { type: 'kernel'; reason: string };

/** The workflow hook of the router (kernel/src/agent/task-workflow.ts): consulted before and after every call. */
export interface IToolGate {
  before(call: GateCall, signal: AbortSignal): Promise<GateVerdict>;
  /** After a call ran: text appended to what the model sees (e.g. the transition a test run caused), or undefined. */
  after?(call: GateCall, result: { ok: boolean; content: string }, signal: AbortSignal): Promise<string | undefined>;
}
