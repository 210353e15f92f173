// Airlock: Open Audit Log / Verify Audit Log — the audit webview, optionally starting a chain verification.
import type * as vscode from 'vscode';
import { AuditPanel } from '../audit/auditPanel';
import type { KernelService } from '../kernel/kernelService';

export function openAuditLog(extensionUri: vscode.Uri, kernel: KernelService | undefined, log: vscode.LogOutputChannel, verify: boolean) {
  return () => {
    AuditPanel.show(extensionUri, kernel, log, verify);
  };
}
