// Subscribes to a kernel event on every connection: the first start and each restart bring a new RpcClient.
import type { EventData, EventName } from '../../protocol/src/events';
import { DisposableStore, type IDisposable, toDisposable } from '../../protocol/src/lifecycle';
import type { RpcClient } from '../../protocol/src/rpc-client';
import type { KernelService } from './kernel/kernelService';

/** Calls `onClient` with each newly ready client; the disposables it returns live until the next client. */
export function onKernelClient(kernel: KernelService, onClient: (client: RpcClient) => IDisposable[]): IDisposable {
  const store = new DisposableStore();
  let current: RpcClient | undefined;
  let subs: IDisposable[] = [];
  const drop = () => {
    for (const d of subs) d.dispose();
    subs = [];
  };
  const use = (client: RpcClient | undefined) => {
    if (client === current) return;
    drop();
    current = client;
    if (client) subs = onClient(client);
  };
  const s = kernel.state;
  if (s.type === 'ready') use(s.client);
  store.add(kernel.onDidChangeState((st) => use(st.type === 'ready' ? st.client : undefined)));
  store.add(toDisposable(drop));
  return store;
}

/** A typed kernel event, whatever connection it arrives on. */
export function onKernelEvent<E extends EventName>(kernel: KernelService, name: E, listener: (data: EventData<E>) => void): IDisposable {
  return onKernelClient(kernel, (client) => [client.onEvent(name, listener)]);
}
