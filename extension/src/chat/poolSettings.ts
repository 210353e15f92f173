// Hands the airlock.pool.* warm pool sizes to the kernel (sandbox/pools) on every kernel ready and on each change.
import * as vscode from 'vscode';
import { formatError } from '../../../protocol/src/errors';
import { DisposableStore, type IDisposable } from '../../../protocol/src/lifecycle';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import type { KernelService } from '../kernel/kernelService';
import { onKernelClient } from '../kernelEvents';
import { poolSizes } from './kernelSettings';

/** Sizes live in the kernel's memory only: a restarted kernel starts from its templates, so they are sent again. */
export function forwardPoolSizes(kernel: KernelService, log: vscode.LogOutputChannel): IDisposable {
  const store = new DisposableStore();
  let client: RpcClient | undefined;
  const send = async (c: RpcClient) => {
    const config = vscode.workspace.getConfiguration('airlock');
    const sizes = poolSizes((k) => config.get(k));
    try {
      const r = await c.request('sandbox/pools', { sizes }, { timeoutMs: 30_000 });
      log.info(
        `warm pools: ${Object.entries(r.sizes)
          .map(([t, n]) => `${t}=${n}`)
          .join(', ')}${r.enabled ? '' : ' (pools are off in this kernel)'}`,
      );
    } catch (err) {
      log.warn(`could not set the warm pool sizes: ${formatError(err)}`);
    }
  };
  store.add(
    onKernelClient(kernel, (c) => {
      client = c;
      void send(c);
      return [
        {
          dispose: () => {
            if (client === c) client = undefined;
          },
        },
      ];
    }),
  );
  store.add(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (client && e.affectsConfiguration('airlock.pool')) void send(client);
    }),
  );
  return store;
}
