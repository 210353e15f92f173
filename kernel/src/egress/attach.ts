// The egress proxy as the sandbox manager sees it: one socket per sandbox with `egress: proxy`, opened and closed with it.
import * as path from 'node:path';
import type { SandboxEgress } from '../runtime/sandbox-options';
import type { EgressApprover, EgressClient, EgressPolicy } from './decide';
import { ProviderEndpoints } from './provider';
import type { ProviderUpstream } from './provider-upstream';
import { EgressProxy, type EgressProxyOptions } from './proxy';
import { egressWiring, providerWiring } from './sandbox';

export interface KernelEgressOptions extends Omit<EgressProxyOptions, 'dir' | 'hostDir'> {
  /** The kernel's state folder (its view) and the same folder on the engine's host (bind sources are host paths). */
  stateDir: string;
  hostStateDir?: string;
  /** A person to ask for `ask` decisions of a task's connections; absent, `ask` is a deny (docs/network.md). */
  approverFor?: (task: string | undefined) => EgressApprover | undefined;
  /** The policy in force for a running task (its mode's policy) and that mode; absent or undefined, the proxy's own. */
  policyFor?: (task: string | undefined) => { policy: EgressPolicy; mode?: string } | undefined;
  /** The model provider of a task (for `egress: provider` sandboxes); absent or undefined, their requests get 503. */
  providerFor?: (task: string | undefined) => ProviderUpstream | undefined;
}

/** Sockets live in `<state>/egress/<sandbox>/proxy.sock` (or `provider.sock`): the state folder is the kernel's own and
 * reaches the host. A sandbox gets one or the other, never both: an ai-provider sandbox has no way out but its provider. */
export function kernelEgress(o: KernelEgressOptions): SandboxEgress & { proxy: EgressProxy; providers: ProviderEndpoints } {
  const dirs = { dir: path.join(o.stateDir, 'egress'), hostDir: path.join(o.hostStateDir ?? o.stateDir, 'egress') };
  const proxy = new EgressProxy({ ...o, ...dirs });
  const providers = new ProviderEndpoints({ ...o, ...dirs, upstreamFor: (task) => o.providerFor?.(task) });
  return {
    proxy,
    providers,
    async open(sandbox, session, task, kind = 'proxy') {
      // Connections are judged as the task's agent (the subject its tool calls have); a sandbox without a task as itself;
      // an MCP server's sandbox (task `mcp:<server>`) as the plugin `mcp:<server>`, so its rules are its own allowlist.
      const client: EgressClient = {
        sandbox,
        session,
        get task() {
          return task();
        },
        get subject() {
          const t = task();
          // A tool plugin's sandbox (task `plugin:<name>`) is judged as `plugin:<name>`.
          if (t?.startsWith('plugin:')) return { kind: 'plugin' as const, id: t.slice('plugin:'.length), tags: [] };
          return { kind: t?.startsWith('mcp:') ? ('plugin' as const) : ('agent' as const), id: t ?? sandbox, tags: [] };
        },
        get approve() {
          return o.approverFor?.(task());
        },
        // Read at each connection: a warm sandbox gets its task later, and a task's policy is its mode's.
        get policy() {
          return o.policyFor?.(task())?.policy;
        },
        get mode() {
          return o.policyFor?.(task())?.mode;
        },
      };
      return kind === 'provider' ? providerWiring(await providers.listen(client)) : egressWiring(await proxy.listen(client));
    },
    close: async (sandbox) => {
      await proxy.close(sandbox);
      await providers.close(sandbox);
    },
  };
}
