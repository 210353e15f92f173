// Airlock: Show Kernel Status — round-trips a ping and reports what is running where.
import * as vscode from 'vscode';
import { formatError } from '../../../protocol/src/errors';
import type { KernelService } from '../kernel/kernelService';

export interface KernelStatusResult {
  ok: boolean;
  pingMs?: number;
  version?: string;
  engine?: string;
  image?: string;
  error?: string;
}

export function showKernelStatus(kernel: KernelService, log: vscode.LogOutputChannel) {
  return async (): Promise<KernelStatusResult> => {
    try {
      const client = await kernel.client();
      const t0 = performance.now();
      await client.request('kernel/ping', { nonce: 'status' }, { timeoutMs: 5000 });
      const pingMs = performance.now() - t0;
      const info = await client.request('kernel/info', {}, { timeoutMs: 5000 });
      const result = { ok: true, pingMs, version: info.version, engine: kernel.engine, image: kernel.image };
      const line = `Airlock kernel ${info.version} is ready: ping ${pingMs.toFixed(2)} ms (${kernel.engine}, ${kernel.image})`;
      log.info(line);
      void vscode.window.showInformationMessage(line);
      return result;
    } catch (err) {
      const text = formatError(err);
      log.error(text);
      void vscode.window.showErrorMessage(`Airlock kernel is not reachable. ${text}`, 'Show Logs').then((pick) => {
        if (pick) log.show();
      });
      return { ok: false, error: text };
    }
  };
}
