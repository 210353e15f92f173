// Serves the kernel's lm/request events with VS Code's language models (provider vscode-lm), on every connection.
import * as vscode from 'vscode';
import { formatError } from '../../../protocol/src/errors';
import type { IDisposable } from '../../../protocol/src/lifecycle';
import type { KernelService } from '../kernel/kernelService';
import { onKernelClient } from '../kernelEvents';
import { answer, type LmApi, type LmParts, type Send } from './lmAdapter';

/** vscode.lm and its part classes, when this VS Code has them (tool calling needs 1.95 or later). */
export function vscodeLm(): { lm: LmApi; parts: LmParts } | undefined {
  // Looked up by name: the @types/vscode this builds against (1.90) predates tool calling; the running VS Code may have it.
  const get = <T>(name: string): T | undefined => Reflect.get(vscode, name) as T | undefined;
  const lm = get<LmApi>('lm');
  const m = get<Pick<LmParts, 'User' | 'Assistant'>>('LanguageModelChatMessage');
  const TextPart = get<LmParts['TextPart']>('LanguageModelTextPart');
  const ToolCallPart = get<LmParts['ToolCallPart']>('LanguageModelToolCallPart');
  const ToolResultPart = get<LmParts['ToolResultPart']>('LanguageModelToolResultPart');
  if (!lm || !m || !TextPart || !ToolCallPart || !ToolResultPart) return undefined;
  return {
    lm,
    parts: { User: (c) => m.User(c as string), Assistant: (c) => m.Assistant(c as string), TextPart, ToolCallPart, ToolResultPart },
  };
}

export function serveLanguageModels(kernel: KernelService, log: vscode.LogOutputChannel): IDisposable {
  const running = new Map<string, vscode.CancellationTokenSource>();
  return onKernelClient(kernel, (client) => [
    client.onEvent('lm/request', (req) => {
      const api = vscodeLm();
      const cts = new vscode.CancellationTokenSource();
      running.set(req.requestId, cts);
      const send: Send = (events, done) =>
        client.request('lm/respond', { requestId: req.requestId, events, done }, { timeoutMs: 30_000 }).then((r) => r.accepted);
      const work = api
        ? answer(req, api.lm, api.parts, send, cts.token, () => cts.cancel())
        : send(
            [
              {
                type: 'error',
                error: {
                  code: 'PROVIDER_VSCODE_LM_UNAVAILABLE',
                  message: 'this VS Code has no language model API with tool calling (1.95 or later)',
                },
                retryable: false,
              },
            ],
            true,
          );
      void Promise.resolve(work)
        .catch((err) => log.warn(`vscode-lm request ${req.requestId}: ${formatError(err)}`))
        .finally(() => {
          running.delete(req.requestId);
          cts.dispose();
        });
    }),
    client.onEvent('lm/cancel', ({ requestId }) => running.get(requestId)?.cancel()),
  ]);
}
