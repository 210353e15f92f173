// External sessions: another agent (through `airlock mcp serve`) calls Airlock's tools; its edits become a patch set.
import { z } from 'zod';
import { AgentMode, ToolDefinition, ToolResult } from '../agent';
import { ApprovalDecision, TaskId } from './agent';

/** Who is calling, as the MCP client named itself (`clientInfo.name`): audited as subject `mcp:<client>`. */
export const ExternalClient = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@/ -]{0,63}$/);

/** Session ids are task ids (`task_mcp_…`): the output volume, sandboxes and patch set are keyed by them like a task's. */
const Session = z.object({ session: TaskId });

/**
 * Where a call stands: it ran (or was refused: `result.ok` false with the error), or the policy said `ask` and the call
 * waits for the person's answer (`external/approve`). Until answered, the session runs no other call.
 */
export const ExternalCallOutcome = z.discriminatedUnion('type', [
  z.object({ type: z.literal('result'), result: ToolResult }),
  z.object({
    type: z.literal('approval'),
    requestId: z.string().min(1).max(128),
    tool: z.string(),
    reason: z.string(),
    input: z.unknown(),
  }),
]);
export type ExternalCallOutcome = z.infer<typeof ExternalCallOutcome>;

export const externalMethods = {
  /**
   * Opens a session: an output volume, a code-executor sandbox made on the first command, a workflow session in
   * `mode` (default: the kernel's). `approvals`: the client can ask its person (MCP elicitation); without it an `ask`
   * is refused with the reason. The session ends with `external/close`, or when this connection closes.
   */
  'external/open': [
    z.object({ client: ExternalClient, mode: AgentMode.optional(), approvals: z.boolean().default(false) }),
    z.object({ session: TaskId, mode: z.string(), tools: z.array(ToolDefinition) }),
  ],
  /** One tool call through the task pipeline: workflow gate, policy, audit, execute, sanitise, audit. */
  'external/call': [
    Session.extend({ tool: z.string().min(1).max(128), arguments: z.record(z.string(), z.unknown()).default({}) }),
    ExternalCallOutcome,
  ],
  /** The person's answer to a waiting call (`allow-session` grants the same scope for the rest of the session). */
  'external/approve': [Session.extend({ requestId: z.string().min(1).max(128), decision: ApprovalDecision }), ExternalCallOutcome],
  /**
   * Ends the session: the sandbox goes, the workflow session is taken to review, and the edits become a patch set
   * (`patches/ready`, `airlock review`); `setId` null when nothing changed or the workflow could not reach review.
   */
  'external/close': [Session, z.object({ setId: z.string().nullable(), files: z.number().int().nonnegative(), message: z.string() })],
} as const;
