// audit/attest: a signed, portable attestation of a merged patch set (kernel/src/patches/attest.ts).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { AuditWriter, KernelServices } from '../../services';
import { attestSet } from '../../patches/attest';

export const attest =
  (s: Pick<KernelServices, 'patches' | 'config' | 'version'> & AuditWriter): Handler<'audit/attest'> =>
  (params) =>
    attestSet(
      {
        query: (q) => s.audit.writer.query(q),
        head: () => s.audit.writer.head(),
        patches: s.patches,
        stateDir: s.config.stateDir,
        version: s.version,
      },
      params.setId,
    );
