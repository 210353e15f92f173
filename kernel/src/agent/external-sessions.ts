// ExternalSessions: the kernel's sessions of other agents (external/open|call|approve|close, `airlock mcp serve`).
import { AgentMode } from '../../../protocol/src/agent';
import { AirlockError } from '../../../protocol/src/errors';
import type { IDisposable } from '../../../protocol/src/lifecycle';
import type { ApprovalDecision } from '../../../protocol/src/methods/agent';
import type { ExternalCallOutcome } from '../../../protocol/src/methods/external';
import type { TokenService } from '../../../core/src/policy/tokens';
import type { WorkflowService } from '../workflow/machine';
import { ExternalPolicy, ExternalSession, externalSessionId, type ExternalClose } from './external-session';
import type { TaskService } from './task-service';
import { TaskWorkflow } from './task-workflow';

/** Open sessions per kernel: each holds an output volume and possibly a sandbox. */
const MAX_SESSIONS = 16;

export interface ExternalSessionsDeps {
  /** Admission, run deps and mode engines are the tasks' own (TaskService.prepareExternal). */
  readonly tasks: Pick<TaskService, 'prepareExternal' | 'sanitiser'>;
  readonly tokens: TokenService;
  readonly workflow: WorkflowService;
}

export interface ExternalOpened {
  session: string;
  mode: string;
  tools: ReturnType<ExternalSession['tools']>;
}

export class ExternalSessions implements IDisposable {
  private readonly sessions = new Map<string, ExternalSession>();
  /** Each session's subscription to its connection's close. */
  private readonly closeSubs = new Map<string, IDisposable | undefined>();

  constructor(private readonly d: ExternalSessionsDeps) {}

  /**
   * Admitted like a task (intact audit chain, sandboxes, capped outputs), recorded, then given its workflow session,
   * output volume and router. A session whose connection closes is closed (its edits still become a patch set).
   */
  async open(
    p: { client: string; mode?: string; approvals: boolean },
    conn?: { onDidClose: (fn: () => void) => IDisposable },
  ): Promise<ExternalOpened> {
    if (this.sessions.size >= MAX_SESSIONS) {
      throw new AirlockError('EXTERNAL_SESSION_LIMIT', `${MAX_SESSIONS} external sessions are already open`, 'close an MCP session first');
    }
    const id = externalSessionId();
    const { deps, mode, engine } = this.d.tasks.prepareExternal(p.mode);
    const sanitiser = this.d.tasks.sanitiser;
    const key = (tool: string, input: unknown) => `${tool}\n${JSON.stringify(sanitiser.sanitiseValue(input))}`;
    const policy = new ExternalPolicy({ engine, tokens: this.d.tokens, taskId: id, mode, workspace: deps.workspace, key });
    policy.canAsk = p.approvals;
    const session = new ExternalSession(id, p.client, policy, mode);
    const record = (action: string, payload: Record<string, unknown>) =>
      deps.audit.append(
        { session: id, subject: 'kernel', action, resource: id, payload: sanitiser.sanitiseValue(payload) },
        { sync: true },
      );
    await deps.audit.append(
      {
        session: id,
        subject: session.subject,
        action: 'external.open',
        resource: id,
        payload: { client: p.client, mode, approvals: p.approvals },
      },
      { sync: true },
    );
    const wfMode = AgentMode.safeParse(mode);
    const wf = wfMode.success
      ? await TaskWorkflow.open(
          { workflow: this.d.workflow, audit: deps.audit, sanitiser, taskId: id, workspace: deps.workspace, emit: () => undefined },
          { mode: wfMode.data },
          session.signal,
        )
      : undefined;
    await session.start({ d: deps, record }, wf);
    this.sessions.set(id, session);
    this.closeSubs.set(
      id,
      conn?.onDidClose(() => void this.close(id, 'the client disconnected').catch(() => undefined)),
    );
    return { session: id, mode, tools: session.tools() };
  }

  call(id: string, tool: string, args: Record<string, unknown>): Promise<ExternalCallOutcome> {
    return this.get(id).call(tool, args);
  }

  approve(id: string, requestId: string, decision: ApprovalDecision): Promise<ExternalCallOutcome> {
    return this.get(id).approve(requestId, decision);
  }

  /** Ends the session (once); its edits become a patch set. The end is recorded as the client's. */
  async close(id: string, reason = 'closed by the client'): Promise<ExternalClose> {
    const s = this.get(id);
    this.closeSubs.get(id)?.dispose();
    this.closeSubs.delete(id);
    try {
      return await s.close(reason);
    } finally {
      this.sessions.delete(id);
    }
  }

  dispose(): void {
    for (const id of [...this.sessions.keys()]) void this.close(id, 'the kernel is shutting down').catch(() => undefined);
  }

  private get(id: string): ExternalSession {
    const s = this.sessions.get(id);
    if (!s) {
      const hint = 'open one with external/open (airlock mcp serve)';
      throw new AirlockError('EXTERNAL_SESSION_UNKNOWN', `no open external session ${id}`, hint);
    }
    return s;
  }
}
