// The person's small JSON settings files (MCP servers, plugin approvals): zod-checked on read, written whole and private.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import { type AirlockError, formatIssues } from '../../protocol/src/errors';

/** The file's contents checked against `schema`; undefined when it does not exist. Bad JSON or shape: `invalid(why)`
 * (each caller raises its own code, so the error catalogue finds it). */
export function readPrivateJson<S extends z.ZodType>(
  file: string,
  schema: S,
  invalid: (why: string) => AirlockError,
): z.infer<S> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw invalid(`${file} is not JSON: ${(e as Error).message}`);
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw invalid(`${file}: ${formatIssues(r.error)}`);
  return r.data as z.infer<S>;
}

/** Written whole through a temp file and a rename, in a folder and a file readable by the person only. */
export function writePrivateJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}
