// Hands the API keys kept in SecretStorage to the kernel (provider/configure, memory only) whenever it becomes ready.
import * as vscode from 'vscode';
import { ProviderName } from '../../protocol/src/agent';
import { formatError } from '../../protocol/src/errors';
import { DisposableStore, type IDisposable } from '../../protocol/src/lifecycle';
import type { RpcClient } from '../../protocol/src/rpc-client';
import { secretKey } from './commands/setApiKey';
import type { KernelService } from './kernel/kernelService';

/** Providers that take a key (replay reads a local file; vscode-lm is VS Code's own). */
export const KEYED_PROVIDERS = ProviderName.options.filter((p) => p !== 'replay' && p !== 'vscode-lm');

/** Sends one provider's key (and, for openai-compatible, the base URL setting) to the kernel's memory. */
export async function sendApiKey(client: RpcClient, provider: ProviderName, apiKey: string): Promise<void> {
  const baseUrl = vscode.workspace.getConfiguration('airlock').get<string>('baseUrl')?.trim() || undefined;
  await client.request(
    'provider/configure',
    { provider, apiKey, baseUrl: provider === 'openai-compatible' ? baseUrl : undefined },
    { timeoutMs: 10_000 },
  );
}

/**
 * Each time the kernel is ready (first start and after every restart: a new kernel process has no keys), every stored
 * key is sent; a key set or deleted later is sent at once. Keys never go to settings, logs or the webviews.
 */
export function forwardApiKeys(kernel: KernelService, secrets: vscode.SecretStorage, log: vscode.LogOutputChannel): IDisposable {
  const store = new DisposableStore();
  let client: RpcClient | undefined;
  const send = async (c: RpcClient, provider: ProviderName, key: string | null) => {
    // provider/configure cannot forget a key: a deleted key leaves the kernel's memory when the kernel restarts.
    if (!key) {
      log.info(`the ${provider} key was deleted; the running kernel forgets it when it restarts (Airlock: Restart Kernel)`);
      return;
    }
    try {
      await sendApiKey(c, provider, key);
      log.info(`sent the ${provider} API key to the kernel (memory only)`);
    } catch (err) {
      log.error(`could not hand the ${provider} key to the kernel: ${formatError(err)}`);
    }
  };
  const sendAll = async (c: RpcClient) => {
    for (const provider of KEYED_PROVIDERS) {
      const key = await secrets.get(secretKey(provider));
      if (key && client === c) await send(c, provider, key);
    }
  };
  store.add(
    kernel.onDidChangeState((s) => {
      client = s.type === 'ready' ? s.client : undefined;
      if (client) void sendAll(client);
    }),
  );
  store.add(
    secrets.onDidChange(async (e) => {
      const provider = KEYED_PROVIDERS.find((p) => secretKey(p) === e.key);
      if (!provider || !client) return;
      await send(client, provider, (await secrets.get(e.key)) ?? null);
    }),
  );
  return store;
}
