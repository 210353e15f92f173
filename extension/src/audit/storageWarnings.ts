// Surfaces the audit log's storage warnings (disk free, DB size, failed writes) as VS Code warnings, once per kind per hour.
import * as vscode from 'vscode';
import type { IDisposable } from '../../../protocol/src/lifecycle';
import type { KernelService } from '../kernel/kernelService';
import { onKernelEvent } from '../kernelEvents';

const QUIET_MS = 60 * 60 * 1000;

export function showStorageWarnings(kernel: KernelService, log: vscode.LogOutputChannel): IDisposable {
  const lastShown = new Map<string, number>();
  return onKernelEvent(kernel, 'audit/warning', (w) => {
    log.warn(`audit storage: ${w.message}`);
    const now = Date.now();
    if (w.type !== 'write-failed' && now - (lastShown.get(w.type) ?? 0) < QUIET_MS) return;
    lastShown.set(w.type, now);
    void vscode.window.showWarningMessage(`Airlock audit log: ${w.message}`, 'Open Audit Log').then((pick) => {
      if (pick) void vscode.commands.executeCommand('airlock.openAuditLog');
    });
  });
}
