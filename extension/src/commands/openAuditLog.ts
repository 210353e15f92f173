// Airlock: Open Audit Log — the Audit Log view in the Panel (auditView.ts).
import type { AuditViewProvider } from '../audit/auditView';

export function openAuditLog(view: AuditViewProvider) {
  return () => view.show();
}
