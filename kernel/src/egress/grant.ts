// When an offline template is put behind the egress proxy for one sandbox: code-executor, for a task whose policy
// grants hosts (an allow for `net.connect`). Its seccomp profile then allows the network sockets the proxy needs.
import { AirlockError } from '../../../protocol/src/errors';
import type { SandboxTemplate, SeccompName } from '../../../core/src/templates';

/** The profile with network sockets that matches each one (strict already allows AF_INET for its loopback). */
const WITH_NET: Record<SeccompName, SeccompName> = { strict: 'strict', standard: 'standard-net', 'standard-net': 'standard-net' };

/** The template as this sandbox gets it: unchanged, or behind the proxy with the matching network-capable profile. */
export function withEgress(t: SandboxTemplate, egress: 'proxy' | undefined): SandboxTemplate {
  if (!egress || t.egress === egress) return t;
  if (t.egress !== 'none' || t.network !== 'none') {
    throw new AirlockError(
      'SANDBOX_EGRESS_REFUSED',
      `template ${t.name} has egress ${t.egress} and network ${t.network}; it cannot be put behind the proxy`,
      'only offline templates (network: none, egress: none) are given the proxy per sandbox',
    );
  }
  return { ...t, egress, seccomp: WITH_NET[t.seccomp] };
}

/** Whether a task's sandboxes should get the proxy: its policy allows `net.connect` somewhere for its agent. */
export function grantsHosts(
  engine: { allowsAny(action: string, subject: { kind: 'agent'; id: string; tags: string[] }, mode?: string): boolean },
  taskId: string,
  mode?: string,
): boolean {
  return engine.allowsAny('net.connect', { kind: 'agent', id: taskId, tags: [] }, mode);
}
