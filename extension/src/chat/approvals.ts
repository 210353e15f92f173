// The chat's approval answers as the kernel's task/approve decisions, read from protocol's ApprovalDecision enum.
import { ApprovalDecision } from '../../../protocol/src/methods/agent';
import type { ApprovalAnswer, ApprovalChoices } from '../../../protocol/src/webview';

/** Each button's decision; typing it as a Record makes a new answer without a decision the kernel knows a compile error. */
export const ANSWER_DECISION: Readonly<Record<ApprovalAnswer, ApprovalDecision>> = {
  'allow-once': 'allow',
  'allow-session': 'allow-session',
  deny: 'deny',
};

/** The buttons the chat offers: those whose decision is in the enum task/approve validates with. */
export function approvalChoices(): ApprovalChoices {
  const offered = (a: ApprovalAnswer) => ApprovalDecision.options.includes(ANSWER_DECISION[a]);
  return { allowOnce: offered('allow-once'), allowSession: offered('allow-session'), deny: offered('deny') };
}
