// How long a client waits for each method's reply when the caller gives no timeout: no request waits forever.
import type { MethodName, ParamsOf } from './methods';

/** Most methods answer from memory or SQLite in milliseconds; 30 s is generous under load and still ends a hang. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** The hello/welcome exchange (the kernel closes a silent connection after a few seconds anyway). */
export const HANDSHAKE_TIMEOUT_MS = 15_000;
/** The kernel's own default for a sandbox command sent without a timeout (kernel/src/runtime/exec-agent.ts). */
const KERNEL_EXEC_DEFAULT_MS = 30 * 60_000;
/** Room for the kernel to kill a timed-out command, collect its output and answer. */
const EXEC_SLACK_MS = 60_000;
const MINUTE = 60_000;

/** Methods that legitimately take longer: sandbox lifecycles (engine calls), test runs, whole-log verification. */
const LONG: { [M in MethodName]?: (params: ParamsOf<M>) => number } = {
  'sandbox/exec': (p) => (p.timeoutMs ?? KERNEL_EXEC_DEFAULT_MS) + EXEC_SLACK_MS,
  'sandbox/create': () => 2 * MINUTE,
  'sandbox/destroy': () => 2 * MINUTE,
  'sandbox/pause': () => 2 * MINUTE,
  'sandbox/resume': () => 2 * MINUTE,
  'sandbox/pools': () => 2 * MINUTE,
  'sandbox/prune': () => 5 * MINUTE,
  // A transition may rerun the tests in a fresh sandbox (up to 10 minutes, kernel/src/workflow/sandbox-test-runner.ts).
  'workflow/transition': () => 12 * MINUTE,
  'workflow/setMode': () => 2 * MINUTE,
  'audit/verify': () => 10 * MINUTE,
  'review/plan': () => 2 * MINUTE,
  // Builds the accepted tree and reruns the tests in a fresh sandbox (up to 10 minutes, like a workflow transition).
  'review/verify': () => 12 * MINUTE,
  'review/export': () => 2 * MINUTE,
  // An external session's call may run a command (up to 30 minutes, plus a workflow test rerun after a test command);
  // a call that asks the person answers at once, and the answer (external/approve) resumes the same call.
  'external/open': () => 2 * MINUTE,
  'external/call': () => KERNEL_EXEC_DEFAULT_MS + 12 * MINUTE,
  'external/approve': () => KERNEL_EXEC_DEFAULT_MS + 12 * MINUTE,
  'external/close': () => 15 * MINUTE,
};

export function defaultTimeoutMs<M extends MethodName>(method: M, params: ParamsOf<M>): number {
  const f = LONG[method] as ((p: ParamsOf<M>) => number) | undefined;
  return f ? f(params) : DEFAULT_REQUEST_TIMEOUT_MS;
}
