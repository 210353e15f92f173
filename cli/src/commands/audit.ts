// `airlock audit verify|stats|tail|export|reset`: checks and reads the audit log from its database file (no kernel needed;
// on a remote engine, where the file is in a volume there, `verify` asks the kernel).
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { containerName, detectEngine, readConfig, statePaths } from '../../../bootstrap';
import type { AuditEntry, AuditFilter } from '../../../protocol/src/audit';
import { AirlockError } from '../../../protocol/src/errors';
import { anchorFile } from '../../../protocol/src/node/audit-anchor';
import { connectSocket } from '../../../protocol/src/node/socket-transport';
import { requireConfirm, resetAuditLog } from '../audit-reset';
import { blame } from '../audit/blame';
import { attest, verifyAttestation } from '../audit/attest';
import { withKernel } from '../kernel';
import { isRemoteEngine } from '../../../core/src/remote/mode';
import { iterateEntries, queryEntries } from '../../../core/src/audit/query';
import { auditOptionsFromEnv } from '../../../core/src/audit/options';
import { collectStats } from '../../../core/src/audit/storage';
import { auditPaths } from '../../../core/src/audit/types';
import { verifyAuditLog } from '../../../core/src/audit/verify';
import { parseDuration } from '../../../core/src/policy/units';
import type { CliIO, Command } from '../command';

const USAGE = `airlock audit verify [--db PATH] [--key PATH] [--head PATH] [--json]
       airlock audit stats [--db PATH] [--json]
       airlock audit tail [-n N] [--follow] [filters] [--db PATH]
       airlock audit export --format jsonl|csv [--out FILE] [filters] [--db PATH]
       airlock audit blame FILE[:LINE] [--json] [--workspace DIR]   (where a line came from: set, hunk, decision, tool call, turn)
       airlock audit attest SET [-o FILE]   (a signed in-toto attestation of a merged patch set)
       airlock audit verify-attestation FILE [--pubkey PEM] [--db PATH] [--json]   (offline)
       airlock audit reset --confirm [--workspace DIR]   (stops the kernel, starts a new log; the old one is kept aside)
  filters: --session ID --action NAME|PREFIX.* --decision D --since T --until T (T: ISO date, epoch ms, or an age like 2h)`;

const OPTIONS = {
  db: { type: 'string' },
  key: { type: 'string' },
  pubkey: { type: 'string' },
  head: { type: 'string' },
  workspace: { type: 'string' },
  json: { type: 'boolean' },
  confirm: { type: 'boolean' },
  n: { type: 'string', short: 'n' },
  follow: { type: 'boolean', short: 'f' },
  format: { type: 'string' },
  out: { type: 'string', short: 'o' },
  session: { type: 'string' },
  action: { type: 'string' },
  decision: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>>['values'];

export const audit: Command = {
  name: 'audit',
  summary: "verify the audit log's hash chain, tail it, export it (jsonl/csv), or blame a line back to its model turn",
  usage: USAGE,
  async run(args, io) {
    const { positionals, values } = parseArgs({ args, allowPositionals: true, options: OPTIONS });
    const [sub, target] = positionals;
    switch (sub) {
      case 'verify':
        return verify(values, io);
      case 'stats':
        return stats(values, io);
      case 'tail':
        return tail(values, io);
      case 'export':
        return exportLog(values, io);
      case 'reset':
        return reset(values, io);
      case 'blame':
        return blame(io, target, values);
      case 'attest':
        return attest(io, target, values);
      case 'verify-attestation':
        return verifyAttestation(io, target, values);
      default:
        throw new AirlockError('CLI_USAGE', `unknown audit subcommand ${JSON.stringify(sub ?? '')}`, `usage: ${USAGE}`);
    }
  },
};

function paths(v: Values, io: CliIO): { dbPath: string; keyPath: string; headPath: string } {
  const fallback = v.db && v.key ? undefined : auditPaths(statePaths(readConfig({ workspace: v.workspace ?? io.cwd }, io.env)).state);
  const dbPath = v.db ?? fallback!.dbPath;
  return { dbPath, keyPath: v.key ?? fallback!.keyPath, headPath: v.head ?? `${dbPath}.head` };
}

/** A kernel on a remote engine keeps its log in a volume there: unless a file is named, the kernel checks it. */
async function remoteKernel(v: Values, io: CliIO): Promise<boolean> {
  if (v.db) return false;
  const engine = await detectEngine(readConfig({ workspace: v.workspace ?? io.cwd }, io.env), io.env).catch(() => undefined);
  return isRemoteEngine(engine?.endpoint);
}

async function verify(v: Values, io: CliIO): Promise<number> {
  const local = (await remoteKernel(v, io)) ? undefined : paths(v, io);
  const r = local ? await verifyAuditLog(local) : await withKernel(io, v.workspace, (sup) => sup.client.request('audit/verify', {}));
  if (v.json) io.out(JSON.stringify(r));
  switch (r.type) {
    case 'intact':
      if (!v.json)
        io.out(
          `intact: ${r.entries} entries (${r.firstSeq}..${r.lastSeq}), head ${r.headHash.slice(0, 16)}…, checked in ${r.ms} ms${r.recovered ? ' (an interrupted write was recovered)' : ''}`,
        );
      return 0;
    case 'tampered':
      if (!v.json) {
        io.out(`TAMPERED${r.seq !== undefined ? ` at entry ${r.seq}` : ''} (${r.reason}): ${r.message}`);
        io.out(`  database: ${local?.dbPath ?? 'the state volume on the remote engine'} (left as it is, for inspection)`);
      }
      return 1;
    case 'unusable':
      if (!v.json) io.err(`error ${r.code}: ${r.message}${r.hint ? `\n  hint: ${r.hint}` : ''}`);
      return 2;
    default: {
      const never: never = r;
      return never;
    }
  }
}

/** Stops the workspace's kernel (it holds the log open), then starts a new log recorded as an `audit.reset`. */
async function reset(v: Values, io: CliIO): Promise<number> {
  requireConfirm(v.confirm);
  const cfg = readConfig({ workspace: v.workspace ?? io.cwd }, io.env);
  const sp = statePaths(cfg, io.env);
  const engine = await detectEngine(cfg, io.env).catch(() => undefined);
  const container = engine?.docker.getContainer(containerName(sp));
  if ((await container?.inspect().catch(() => undefined))?.State.Running) {
    io.err('airlock: stopping the kernel (it holds the audit log open)');
    await container!.stop({ t: 5 });
  }
  // Whatever the engine said: a kernel that still answers on the socket still writes the log.
  const alive = await connectSocket(sp.socket, AbortSignal.timeout(1000)).then(
    (t) => {
      t.dispose();
      return true;
    },
    () => false,
  );
  if (alive)
    throw new AirlockError(
      'AUDIT_RESET_KERNEL_RUNNING',
      'the kernel is still running, so its audit log cannot be reset',
      `stop it first (\`docker stop ${containerName(sp)}\`)`,
    );
  const r = await resetAuditLog({ ...auditPaths(sp.state), anchorFile: anchorFile(sp.root) });
  if (v.json) {
    io.out(JSON.stringify(r));
    return 0;
  }
  io.out(
    `new audit log ${r.logId.slice(0, 12)}… started; its first entry (#${r.seq}, audit.reset) records the old log ${r.previous ? `${r.previous.logId.slice(0, 12)}… at entry ${r.previous.seq}` : '(none found)'}`,
  );
  if (r.archivedTo) io.out(`  the old database, head and key were moved to ${r.archivedTo}`);
  io.out('  the next command starts the kernel with the new log');
  return 0;
}

function openReadOnly(v: Values, io: CliIO): Database.Database {
  const { dbPath } = paths(v, io);
  if (!fs.existsSync(dbPath))
    throw new AirlockError('AUDIT_DB_MISSING', `no audit database at ${dbPath}`, 'pass --db PATH (`airlock doctor --json` lists it)');
  return new Database(dbPath, { readonly: true, fileMustExist: true });
}

/** Sizes, counts and storage warnings (thresholds from the same AIRLOCK_AUDIT_* variables the kernel reads). */
async function stats(v: Values, io: CliIO): Promise<number> {
  const db = openReadOnly(v, io);
  try {
    const { dbPath } = paths(v, io);
    const s = collectStats(db, { ...auditOptionsFromEnv('.', io.env), dbPath }, { buffered: 0, verification: null });
    if (v.json) {
      io.out(JSON.stringify(s));
      return 0;
    }
    const mib = (n: number) => `${(n / 1024 ** 2).toFixed(1)} MiB`;
    io.out(`entries ${s.entries} (${s.firstSeq}..${s.lastSeq})${s.checkpoint ? `, pruned through ${s.checkpoint.seq}` : ''}`);
    io.out(`database ${mib(s.dbBytes)} + WAL ${mib(s.walBytes)}, disk free ${s.diskFreeBytes === null ? '?' : mib(s.diskFreeBytes)}`);
    for (const w of s.warnings) io.out(`warning: ${w.message}`);
    return 0;
  } finally {
    db.close();
  }
}

/** ISO date, epoch milliseconds, or an age (`30m`, `2h`, `7d`) counted back from now. */
export function parseTime(s: string, now = Date.now()): number {
  if (/^\d{12,}$/.test(s)) return Number(s);
  if (/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/.test(s)) return now - parseDuration(s);
  const t = Date.parse(s);
  if (Number.isNaN(t))
    throw new AirlockError(
      'CLI_USAGE',
      `bad time ${JSON.stringify(s)}`,
      'use an ISO date (2025-01-31T12:00Z), epoch ms, or an age like 2h',
    );
  return t;
}

function filter(v: Values): AuditFilter {
  return {
    session: v.session,
    action: v.action,
    decision: v.decision,
    since: v.since ? parseTime(v.since) : undefined,
    until: v.until ? parseTime(v.until) : undefined,
  };
}

export function formatEntry(e: AuditEntry): string {
  const rules = e.ruleIds.length ? ` [${e.ruleIds.join(',')}]` : '';
  return `#${e.seq} ${new Date(e.time).toISOString()} ${e.session ?? '-'} ${e.subject} ${e.action} ${e.decision ?? '-'} ${e.resource}${rules}`;
}

async function tail(v: Values, io: CliIO): Promise<number> {
  const db = openReadOnly(v, io);
  try {
    const n = v.n ? Number(v.n) : 20;
    if (!Number.isInteger(n) || n < 1 || n > 5000) throw new AirlockError('CLI_USAGE', '-n takes a number from 1 to 5000');
    const f = filter(v);
    const page = queryEntries(db, { ...f, order: 'desc', limit: n });
    let last = page.entries[0]?.seq ?? 0;
    for (const e of [...page.entries].reverse()) io.out(formatEntry(e));
    if (!v.follow) return 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      const next = queryEntries(db, { ...f, order: 'asc', cursor: last, limit: 1000 });
      for (const e of next.entries) {
        io.out(formatEntry(e));
        last = e.seq;
      }
    }
  } finally {
    db.close();
  }
}

const CSV_COLUMNS = [
  'seq',
  'time',
  'session',
  'subject',
  'action',
  'resource',
  'decision',
  'ruleIds',
  'payloadDigest',
  'prevHash',
  'hash',
  'payload',
] as const;

/** RFC 4180 quoting, and a leading quote on cells a spreadsheet would run as a formula. */
export function csvCell(v: unknown): string {
  let s =
    v === null || v === undefined
      ? ''
      : typeof v === 'string'
        ? v
        : Array.isArray(v)
          ? v.join(' ')
          : typeof v === 'object'
            ? JSON.stringify(v)
            : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function exportLog(v: Values, io: CliIO): Promise<number> {
  if (v.format !== 'jsonl' && v.format !== 'csv') throw new AirlockError('CLI_USAGE', '--format must be jsonl or csv', `usage: ${USAGE}`);
  const db = openReadOnly(v, io);
  const fd = v.out ? fs.openSync(v.out, 'w', 0o600) : undefined;
  let buf: string[] = [];
  const write = (line: string) => {
    if (fd === undefined) io.out(line);
    else {
      buf.push(line);
      if (buf.length >= 1000) {
        fs.writeSync(fd, buf.join('\n') + '\n');
        buf = [];
      }
    }
  };
  let n = 0;
  try {
    if (v.format === 'csv') write(CSV_COLUMNS.join(','));
    for (const e of iterateEntries(db, filter(v))) {
      write(
        v.format === 'jsonl'
          ? JSON.stringify(e)
          : CSV_COLUMNS.map((c) => csvCell(c === 'time' ? new Date(e.time).toISOString() : e[c])).join(','),
      );
      n++;
    }
  } finally {
    if (fd !== undefined) {
      if (buf.length) fs.writeSync(fd, buf.join('\n') + '\n');
      fs.closeSync(fd);
    }
    db.close();
  }
  if (v.out) io.err(`airlock: exported ${n} entries to ${v.out}`);
  return 0;
}
