// review/merged: the host reports a merge or undo it performed; audited with what wrote each merged hunk (provenance),
// and it moves the set's status.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { IAuditLog } from '../../../../core/src/audit/types';
import type { KernelServices } from '../../services';
import type { SessionStore } from '../../sessions/store';
import { hunkLinks } from '../../patches/provenance-links';

/** The audit log's reader and the task transcripts: where a merged hunk's links are looked up. */
export type ProvenanceSources = {
  readonly audit: { readonly writer: Pick<IAuditLog, 'query'> };
  readonly sessions: Pick<SessionStore, 'events'>;
};

export const merged =
  (s: Pick<KernelServices, 'patches'> & ProvenanceSources): Handler<'review/merged'> =>
  async (params) => {
    const { id, ...m } = params;
    const links = (hunks: Parameters<typeof hunkLinks>[2]) =>
      hunkLinks({ query: (q) => s.audit.writer.query(q), events: (t) => s.sessions.events(t) }, s.patches.show(id), hunks);
    return { status: await s.patches.merged(id, m, links) };
  };
