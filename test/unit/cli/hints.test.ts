// Every error a CLI user can meet prints a hint line: hint-less errors in the sources have one by code, usage errors the usage.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProviderErrorCodes } from '../../../kernel/src/agent/providers/errors';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import { CODE_HINTS, withHint } from '../../../cli/src/hints';
import { runCli } from '../../../cli/src/main';
import type { CliIO } from '../../../cli/src/command';

const ROOT = path.resolve(__dirname, '../../..');
/** Where errors that reach the CLI are made (the extension's own errors show in VS Code, not here). */
const SOURCES = ['protocol/src', 'kernel/src', 'cli/src', 'bootstrap', 'templates/builder'];

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The top-level arguments of the call whose `(` is at `open`, split on commas outside strings and brackets. */
function callArgs(src: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0,
    cur = '',
    quote = '';
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (quote) {
      cur += c;
      if (c === '\\') cur += src[++i];
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      quote = c;
      cur += c;
      continue;
    }
    if ('([{'.includes(c) && depth++ === 0) continue;
    if (')]}'.includes(c) && --depth === 0) break;
    if (c === ',' && depth === 1) {
      args.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) args.push(cur.trim());
  return args;
}

interface Site {
  where: string;
  code: string;
}

/** `new AirlockError(CODE, message)` and `AirlockError.from(err, CODE)` without a hint argument. */
function hintlessSites(): Site[] {
  const files = SOURCES.flatMap((d) => tsFiles(path.join(ROOT, d)));
  const constants = new Map<string, string>();
  for (const f of files)
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/export const ([A-Z][A-Z0-9_]+) = '([A-Z][A-Z0-9_]+)'/g)) constants.set(m[1], m[2]);
  const tables: Record<string, Record<string, string>> = { ErrorCodes, ProviderErrorCodes };
  const sites: Site[] = [];
  for (const f of files) {
    const src = fs.readFileSync(f, 'utf8');
    for (const [marker, codeArg, hintArg] of [
      ['new AirlockError(', 0, 2],
      ['AirlockError.from(', 1, 2],
    ] as const) {
      for (let i = src.indexOf(marker); i >= 0; i = src.indexOf(marker, i + 1)) {
        const args = callArgs(src, i + marker.length - 1);
        if (args.length <= codeArg || (args[hintArg] !== undefined && args[hintArg] !== 'undefined')) continue;
        const where = `${path.relative(ROOT, f)}:${src.slice(0, i).split('\n').length}`;
        if (/^(class|static|constructor)/.test(src.slice(src.lastIndexOf('\n', i) + 1, i).trim())) continue;
        // A code expression may be a literal, a table entry, an exported constant or a conditional of those.
        const expr = args[codeArg].replace(/[!=]==?\s*'[^']*'/g, ''); // `x.code === 'ENOENT' ? A : B` names A and B
        const parts = expr.match(/'[A-Z0-9_]+'|\b[A-Za-z]+\.[A-Za-z]+\b|\b[A-Z][A-Z0-9_]{3,}\b/g) ?? [];
        if (!parts.length) sites.push({ where, code: `<unresolved: ${expr}>` });
        for (const p of parts) {
          const [table, key] = p.split('.');
          const code = p.startsWith("'") ? p.slice(1, -1) : key ? tables[table]?.[key] : constants.get(p);
          if (key && !tables[table]) continue; // e.g. `e.code` in a ternary: not a code of its own
          sites.push({ where, code: code ?? `<unresolved: ${p}>` });
        }
      }
    }
  }
  return sites;
}

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (l) => out.push(l), err: (l) => err.push(l), readStdin: async () => '', cwd: process.cwd(), env: {} };
  return { code: await runCli(args, io), out, err: err.join('\n') };
}

describe('CLI: every error has a hint line', () => {
  it('every code raised without a hint in kernel, protocol, bootstrap and CLI sources has a hint by code', () => {
    const sites = hintlessSites();
    assert.ok(
      sites.some((s) => s.code === 'TASKS_FINISHED'),
      "the scan finds the scheduler's hint-less TASKS_FINISHED",
    );
    const missing = sites.filter((s) => !CODE_HINTS[s.code]).map((s) => `${s.where} ${s.code}`);
    assert.deepEqual(missing, [], 'add a hint at the source or a line in cli/src/hints.ts');
  });

  it("a hint-less error gets its code's hint, an unknown code a generic one, and an own hint stays", () => {
    assert.match(withHint(new AirlockError('TASKS_FINISHED', 'task t1 already completed')).hint!, /airlock tasks list/);
    assert.match(withHint(new AirlockError('SOMETHING_NEW', 'x')).hint!, /^run `airlock doctor`.*report/);
    assert.match(withHint(new Error('plain')).hint!, /bug in Airlock/);
    assert.equal(withHint(new AirlockError('TASKS_FINISHED', 'x', 'own hint')).hint, 'own hint');
  });

  it("an unknown option is CLI_USAGE with the command's usage line, exit 2", async () => {
    const r = await cli(['doctor', '--frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.err, /^error CLI_USAGE: Unknown option '--frobnicate'\n {2}hint: usage: airlock doctor \[--workspace DIR\] \[--json\]/);
    const m = await cli(['audit', 'tail', '-n']);
    assert.match(m.err, /^error CLI_USAGE: .*-n.*\n {2}hint: usage: airlock audit verify/);
  });

  it("a usage error thrown without a hint prints the command's usage", async () => {
    const r = await cli(['policy', 'token', 'issue', '--subject', 'nokind', '--action', 'fs.read', '--resource', 'x']);
    assert.equal(r.code, 2);
    assert.match(r.err, /^error CLI_USAGE: --subject must be kind:id.*\n {2}hint: usage: airlock policy eval/);
  });
});
