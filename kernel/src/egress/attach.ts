// The egress proxy as the sandbox manager sees it: one socket per sandbox with `egress: proxy`, opened and closed with it.
import * as path from 'node:path';
import type { SandboxEgress } from '../runtime/sandbox-options';
import type { EgressApprover, EgressClient } from './decide';
import { EgressProxy, type EgressProxyOptions } from './proxy';
import { egressWiring } from './sandbox';

export interface KernelEgressOptions extends Omit<EgressProxyOptions, 'dir' | 'hostDir'> {
  /** The kernel's state folder (its view) and the same folder on the engine's host (bind sources are host paths). */
  stateDir: string;
  hostStateDir?: string;
  /** A person to ask for `ask` decisions of a task's connections; absent, `ask` is a deny (docs/network.md). */
  approverFor?: (task: string | undefined) => EgressApprover | undefined;
}

/** Sockets live in `<state>/egress/<sandbox>/proxy.sock`: the state folder is the kernel's own and reaches the host. */
export function kernelEgress(o: KernelEgressOptions): SandboxEgress & { proxy: EgressProxy } {
  const proxy = new EgressProxy({ ...o, dir: path.join(o.stateDir, 'egress'), hostDir: path.join(o.hostStateDir ?? o.stateDir, 'egress') });
  return {
    proxy,
    async open(sandbox, session, task) {
      // Connections are judged as the task's agent (the subject its tool calls have); a sandbox without a task as itself;
      // an MCP server's sandbox (task `mcp:<server>`) as the plugin `mcp:<server>`, so its rules are its own allowlist.
      const client: EgressClient = {
        sandbox, session,
        get task() { return task(); },
        get subject() {
          const t = task();
          // A tool plugin's sandbox (task `plugin:<name>`) is judged as `plugin:<name>`.
          if (t?.startsWith('plugin:')) return { kind: 'plugin' as const, id: t.slice('plugin:'.length), tags: [] };
          return { kind: t?.startsWith('mcp:') ? 'plugin' as const : 'agent' as const, id: t ?? sandbox, tags: [] };
        },
        get approve() { return o.approverFor?.(task()); },
      };
      return egressWiring(await proxy.listen(client));
    },
    close: (sandbox) => proxy.close(sandbox),
  };
}
