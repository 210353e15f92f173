// `airlock audit attest SET [-o FILE]` (signed by the kernel) and `airlock audit verify-attestation FILE [--pubkey PEM]
// [--db PATH] [--json]` (offline: no kernel, only the file, optionally a pinned key and a copy of the audit log).
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { AirlockError } from '../../../protocol/src/errors';
import { verifyBundle } from '../../../core/src/audit/attestation';
import { queryEntries } from '../../../core/src/audit/query';
import type { CliIO } from '../command';
import { withKernel } from '../kernel';

export async function attest(io: CliIO, setId: string | undefined, o: { workspace?: string; out?: string }): Promise<number> {
  if (!setId) throw new AirlockError('CLI_USAGE', 'airlock audit attest needs a patch set id', 'see `airlock review list --status merged`');
  const workspace = path.resolve(io.cwd, o.workspace ?? '.');
  return withKernel(io, workspace, async (sup) => {
    const bundle = await (await sup.ready()).request('audit/attest', { setId });
    const text = `${JSON.stringify(bundle, null, 2)}\n`;
    if (o.out) {
      fs.writeFileSync(path.resolve(io.cwd, o.out), text);
      io.out(
        `wrote ${o.out}: ${bundle.entries.length} audit entries, ${bundle.hunks.length} hunk(s), key ${bundle.envelope.signatures[0].keyid.slice(0, 16)}…`,
      );
    } else process.stdout.write(text);
    return 0;
  });
}

export function verifyAttestation(io: CliIO, file: string | undefined, o: { pubkey?: string; db?: string; json?: boolean }): number {
  if (!file) throw new AirlockError('CLI_USAGE', 'airlock audit verify-attestation needs the attestation file');
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(path.resolve(io.cwd, file), 'utf8'));
  } catch (e) {
    throw new AirlockError('ATTEST_UNREADABLE', `cannot read ${file}: ${(e as Error).message}`);
  }
  const pinnedPem = o.pubkey ? fs.readFileSync(path.resolve(io.cwd, o.pubkey), 'utf8') : undefined;
  const db = o.db ? new Database(path.resolve(io.cwd, o.db), { readonly: true, fileMustExist: true }) : undefined;
  try {
    const logEntry = db
      ? (seq: number) => queryEntries(db, { cursor: seq - 1, order: 'asc', limit: 1 }).entries.find((e) => e.seq === seq)
      : undefined;
    const r = verifyBundle(raw, { pinnedPem, logEntry });
    if (o.json) io.out(JSON.stringify({ ok: r.ok, keyId: r.keyId, problems: r.problems, subject: r.statement?.subject ?? [] }));
    else if (r.ok) {
      const st = r.statement!;
      io.out(
        `attestation OK: patch set ${st.predicate.buildDefinition.externalParameters.patchSet}, ${st.subject.length} file(s), signed by key ${r.keyId.slice(0, 16)}…${pinnedPem ? ' (pinned)' : ' (the key in the file: pin it with --pubkey)'}`,
      );
      for (const s of st.subject) io.out(`  ${s.name}  sha256:${s.digest.sha256}`);
    } else for (const p of r.problems) io.err(`attestation INVALID: ${p}`);
    return r.ok ? 0 : 1;
  } finally {
    db?.close();
  }
}
