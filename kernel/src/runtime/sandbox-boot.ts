// Starting a sandbox's container: created, its exec agent attached, started, and ready within a deadline.
import { AirlockError } from '../../../protocol/src/errors';
import { AgentClient } from './exec-agent';
import type { Sandbox } from './sandbox';
import type { ContainerSpec, IContainerRuntime } from './types';

const AGENT_READY_TIMEOUT_MS = 15_000;

/** Fills in the sandbox's container id and agent as they come, so a failure part-way can still clean them up.
 * `onAgentGone`: the agent's stream ended from the engine's side (exec-agent.ts `onGone`). */
export async function bootSandbox(
  runtime: IContainerRuntime,
  sandbox: Sandbox,
  spec: ContainerSpec,
  signal?: AbortSignal,
  onAgentGone?: () => void,
): Promise<void> {
  // Not cut short by the signal: an aborted create request may still make the container in the engine, and we would
  // never learn its id to remove it (a cancelled task leaked one in 'created' state per race; the soak found them).
  // Created, it has an id, so the abort just below is cleaned up like any other failure part-way.
  sandbox.containerId = await runtime.createContainer(spec);
  signal?.throwIfAborted();
  const stream = await runtime.attach(sandbox.containerId);
  sandbox.agent = new AgentClient(stream, { onGone: onAgentGone });
  await runtime.start(sandbox.containerId, signal);
  const late = () =>
    new AirlockError('SANDBOX_AGENT_TIMEOUT', `the exec agent in ${sandbox.id} did not report ready`, 'the image needs `node` on its PATH');
  await withTimeout(sandbox.agent.ready, AGENT_READY_TIMEOUT_MS, late);
}

function withTimeout<T>(p: Promise<T>, ms: number, err: () => Error): Promise<T> {
  let timer: NodeJS.Timeout;
  const late = new Promise<T>((_, reject) => {
    timer = setTimeout(() => reject(err()), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
