// `audit/attest`: an in-toto statement (SLSA-style provenance predicate) for a merged patch set, signed with the
// kernel's attestation key, bundled with every audit entry it names and the merged hunks' lines.
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import type { AuditEntry, AuditHead, AuditPage, AuditQuery } from '../../../protocol/src/audit';
import {
  AIRLOCK_BUILD_TYPE,
  type AttestationBundle,
  IN_TOTO_STATEMENT,
  SLSA_PROVENANCE,
  type Statement,
} from '../../../protocol/src/attestation';
import type { MergedHunk } from '../../../protocol/src/provenance';
import { loadAttestKey, signStatement } from '../../../core/src/audit/attestation';
import type { PatchService } from './service';

export interface AttestSources {
  query(q: AuditQuery): AuditPage | Promise<AuditPage>;
  head(): AuditHead;
  patches: PatchService;
  stateDir: string;
  version: string;
}

const MAX_ENTRIES = 4000;

export async function attestSet(d: AttestSources, setId: string): Promise<AttestationBundle> {
  const s = d.patches.show(setId);
  const q = async (x: AuditQuery) => (await d.query({ order: 'asc', limit: 5000, payloads: true, ...x })).entries;
  const review = await q({ action: 'review.', resource: setId });
  const merges = review.filter((e) => e.action === 'review.merged' && (e.payload as { outcome?: string } | null)?.outcome === 'merged');
  if (!merges.length)
    throw new AirlockError('ATTEST_NOT_MERGED', `patch set ${setId} has no merge to attest`, 'merge it first (`airlock review merge`)');
  const hunksOf = (e: AuditEntry) => (e.payload as { hunks?: MergedHunk[] } | null)?.hunks ?? [];
  // What the merge records link to: decisions, tool calls, the task's sandbox, and the task's start (provider, model).
  const linked = new Set<number>();
  for (const h of merges.flatMap(hunksOf)) {
    const l = h.links;
    for (const r of [l?.decision?.audit, l?.sandbox?.audit, ...(l?.toolCalls ?? []).map((c) => c.audit)]) if (r) linked.add(r.seq);
  }
  const task = s.set.taskId ? await q({ session: s.set.taskId }) : [];
  const start = task.find((e) => e.action === 'task.start');
  const entries = [...review, ...task.filter((e) => linked.has(e.seq) || e === start)]
    .filter((e, i, a) => a.findIndex((x) => x.seq === e.seq) === i)
    .sort((a, b) => a.seq - b.seq);
  if (entries.length > MAX_ENTRIES)
    throw new AirlockError(
      'ATTEST_TOO_LARGE',
      `patch set ${setId} references ${entries.length} audit entries`,
      `at most ${MAX_ENTRIES} fit one attestation`,
    );
  const head = d.head();
  const lastByPath = new Map<string, MergedHunk>();
  for (const h of merges.flatMap(hunksOf)) lastByPath.set(h.path, h);
  const lines = new Map(s.set.files.flatMap((f) => ('hunks' in f ? f.hunks.map((h) => [h.id, h.lines] as const) : [])));
  const tp = (start?.payload ?? {}) as { provider?: string; model?: string; mode?: string };
  const st: Statement = {
    _type: IN_TOTO_STATEMENT,
    subject: [...lastByPath.values()].map((h) => ({ name: h.path, digest: { sha256: h.postHash } })),
    predicateType: SLSA_PROVENANCE,
    predicate: {
      buildDefinition: {
        buildType: AIRLOCK_BUILD_TYPE,
        externalParameters: {
          patchSet: setId,
          ...(s.set.taskId ? { taskId: s.set.taskId } : {}),
          ...(tp.provider ? { provider: tp.provider } : {}),
          ...(tp.model ? { model: tp.model } : {}),
          ...(tp.mode ? { mode: tp.mode } : {}),
        },
        internalParameters: { verification: s.verification ?? null },
        resolvedDependencies: s.set.files.flatMap((f) =>
          'baseHash' in f && f.baseHash ? [{ name: f.type === 'rename' ? f.from : f.path, digest: { sha256: f.baseHash } }] : [],
        ),
      },
      runDetails: {
        builder: { id: 'https://airlock.dev/kernel', version: { kernel: d.version } },
        metadata: { invocationId: s.set.taskId ?? setId, finishedOn: new Date(merges.at(-1)!.time).toISOString() },
        byproducts: [
          { name: 'audit:log', digest: { sha256: head.hash }, annotations: { logId: head.logId, seq: head.seq } },
          ...entries.map((e) => ({ name: `audit:${e.seq}`, digest: { sha256: e.hash }, annotations: { action: e.action } })),
        ],
      },
    },
  };
  const key = loadAttestKey(path.join(d.stateDir, 'keys'));
  const hunks = merges
    .flatMap(hunksOf)
    .flatMap((h) =>
      lines.has(h.hunkId) ? [{ path: h.path, hunkId: h.hunkId, hunkDigest: h.hunkDigest, lines: [...lines.get(h.hunkId)!] }] : [],
    );
  return { envelope: signStatement(st, key), publicKey: key.publicPem, entries, hunks };
}
