// Workflow methods: read a session's mode/state/budget, request a transition, switch mode (all audited).
import { z } from 'zod';
import { SessionSnapshot, TransitionEvidence, TransitionRecord, WorkflowMode, WorkflowState } from '../workflow';

const SessionId = z.string().min(1).max(128);

export const workflowMethods = {
  /** One session with its recent transitions, or every session when sessionId is omitted. */
  'workflow/get': [
    z.object({ sessionId: SessionId.optional(), history: z.number().int().min(0).max(1000).optional() }),
    z.object({ sessions: z.array(SessionSnapshot), history: z.array(TransitionRecord) }),
  ],
  /** Refused with WORKFLOW_GUARD_FAILED (details: the guard and why) or WORKFLOW_ILLEGAL_TRANSITION. */
  'workflow/transition': [
    z.object({ sessionId: SessionId, to: WorkflowState, evidence: TransitionEvidence.optional() }),
    z.object({ session: SessionSnapshot }),
  ],
  'workflow/setMode': [
    z.object({ sessionId: SessionId, mode: WorkflowMode, reason: z.string().min(1).max(2000) }),
    z.object({ session: SessionSnapshot }),
  ],
} as const;
