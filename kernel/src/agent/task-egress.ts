// What a task's sandboxes get of the task through the kernel's egress (kernel/src/egress/): its person, asked about
// `ask` connections as one approval request each (answered with task/approve like a tool call), and its provider.
import type { TaskEvent } from '../../../protocol/src/agent';
import type { EgressApprover } from '../egress/decide';
import type { ApprovalAnswer } from './interfaces';

export interface EgressTaskView {
  emit(e: TaskEvent): void;
  /** Waits for the person's answer to this request (task/approve); rejects when the signal aborts. */
  ask(req: { requestId: string; tool: string; input: unknown }, signal: AbortSignal): Promise<ApprovalAnswer>;
  /** An "allow for this session" answer already given for this `host:port`. */
  granted(resource: string): boolean;
  /** The task's own signal: a stopped task answers no more questions. */
  signal: AbortSignal;
}

/** The proxy's approver for one task: the question becomes an `approval-request` task event with the tool `net.connect`. */
export function taskEgressApprover(v: EgressTaskView): EgressApprover {
  return async (q, signal) => {
    const resource = String((q.input as { resource?: unknown }).resource ?? '');
    if (resource && v.granted(resource)) return 'allow';
    v.emit({
      type: 'approval-request',
      requestId: q.requestId,
      reason: q.reason,
      call: { id: q.requestId, name: 'net.connect', arguments: JSON.stringify(q.input) },
    });
    const a = await v.ask({ requestId: q.requestId, tool: 'net.connect', input: q.input }, AbortSignal.any([signal, v.signal]));
    return (typeof a === 'string' ? a : a.answer) === 'allow' ? 'allow' : 'deny';
  };
}
