// Audit log methods: paged query with filters, chain verification and storage stats (the audit view and the CLI).
import { z } from 'zod';
import { AuditHead, AuditPage, AuditQuery, AuditStats, AuditVerifyReport } from '../audit';
import { Provenance } from '../provenance';
import { AttestationBundle } from '../attestation';
import { PatchSetId } from '../patches';

export const auditMethods = {
  'audit/query': [AuditQuery, AuditPage],
  /** Flushes the buffer, then checks the whole chain against the signed head. */
  'audit/verify': [z.object({}), AuditVerifyReport],
  'audit/stats': [z.object({}), AuditStats],
  /** Flushes, then returns the log id and its committed tail (and the hash at `at`): the host anchors it outside the state volume. */
  'audit/head': [z.object({ at: z.number().int().nonnegative().optional() }), AuditHead],
  /** Provenance of a workspace file's line (or of every line, up to 5000): followed back through the merge records. */
  /** A merged set's in-toto attestation, signed with the kernel's Ed25519 key, with the entries it names (offline-verifiable). */
  'audit/attest': [z.object({ setId: PatchSetId }), AttestationBundle],
  'audit/blame': [
    z.object({ path: z.string().min(1).max(4096), line: z.number().int().positive().optional() }),
    z.object({ lines: z.array(Provenance) }),
  ],
} as const;
