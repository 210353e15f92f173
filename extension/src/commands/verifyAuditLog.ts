// Airlock: Verify Audit Log — checks the chain against the signed head, says plainly whether it is intact, and opens the view.
import * as vscode from 'vscode';
import { formatError } from '../../../protocol/src/errors';
import type { AuditVerifyReport } from '../../../protocol/src/audit';
import type { AuditViewProvider } from '../audit/auditView';
import type { KernelService } from '../kernel/kernelService';

export function verifyAuditLog(view: AuditViewProvider, kernel: KernelService | undefined, log: vscode.LogOutputChannel) {
  return async (): Promise<AuditVerifyReport | undefined> => {
    if (!kernel) {
      void vscode.window.showWarningMessage('Airlock needs a trusted folder on disk.');
      return undefined;
    }
    try {
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Airlock: verifying the audit log' },
        async () => (await kernel.client()).request('audit/verify', {}, { timeoutMs: 120_000 }),
      );
      const text =
        report.type === 'intact'
          ? `Audit log intact: ${report.entries} entries (#${report.firstSeq}–#${report.lastSeq}) match the signed head.`
          : report.type === 'tampered'
            ? `Audit log TAMPERED${report.seq !== undefined ? ` at entry #${report.seq}` : ''}: ${report.reason} — ${report.message}`
            : `Audit log cannot be verified: ${report.code}: ${report.message}`;
      log.info(text);
      const show = report.type === 'intact' ? vscode.window.showInformationMessage : vscode.window.showErrorMessage;
      void show(text, 'Open Audit Log').then((p) => {
        if (p) void view.show();
      });
      return report;
    } catch (err) {
      log.error(formatError(err));
      void vscode.window.showErrorMessage(`Could not verify the audit log. ${formatError(err)}`);
      return undefined;
    }
  };
}
