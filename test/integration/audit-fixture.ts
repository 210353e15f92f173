// Shared by the audit integration tests: temp log directories, a populated log, direct SQL tampering, CLI capture.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { runCli } from '../../cli/src/main';
import { AuditLog } from '../../core/src/audit/log';

export interface LogFiles {
  dir: string;
  dbPath: string;
  headPath: string;
  keyPath: string;
}

export function tempLog(prefix = 'airlock-audit-'): LogFiles {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const dbPath = path.join(dir, 'audit.db');
  return { dir, dbPath, headPath: `${dbPath}.head`, keyPath: path.join(dir, 'keys', 'audit.key') };
}

/** A closed log of `n` entries: every tenth a synchronous policy decision, the rest buffered tool calls. */
export async function populatedLog(n: number, files = tempLog()): Promise<LogFiles> {
  const log = AuditLog.open(files);
  for (let i = 1; i <= n; i++) {
    if (i % 10 === 0)
      await log.append(
        {
          session: `s${i % 3}`,
          subject: 'policy',
          action: 'policy.decision',
          resource: `src/f${i}.ts`,
          decision: i % 20 ? 'allow' : 'deny',
          ruleIds: ['r.one'],
        },
        { sync: true },
      );
    else
      log.append({
        session: `s${i % 3}`,
        subject: 'agent',
        action: 'tool.call',
        resource: `src/f${i}.ts`,
        payload: { i, note: 'naïve → ok' },
      });
  }
  log.dispose();
  return files;
}

export function copyLog(src: LogFiles): LogFiles {
  const dst = tempLog();
  for (const f of fs.readdirSync(src.dir)) fs.cpSync(path.join(src.dir, f), path.join(dst.dir, f), { recursive: true });
  return dst;
}

export function withDb<T>(files: LogFiles, fn: (db: Database.Database) => T): T {
  const db = new Database(files.dbPath);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readStdin: async () => '',
    cwd: process.cwd(),
    env: process.env,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

export function rmLog(files: LogFiles): void {
  fs.rmSync(files.dir, { recursive: true, force: true });
}
