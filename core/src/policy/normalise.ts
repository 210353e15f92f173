// Defensive normalisation of resources before matching: paths, host:port, names. Failures are denials.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { confinePath, REAL_PATH } from '../../../protocol/src/paths';

export const MAX_PATH_LENGTH = 4096;
export const MAX_NAME_LENGTH = 1024;

export type Normalised = { ok: true; value: string; absolute: boolean } | { ok: false; reason: string };

const PLAIN = /^[\x20-\x7e]*$/;
const CONTROL = /[\x00-\x1f\x7f]/;

/** Rejects NUL bytes, control characters and over-long input; NFC-normalises the rest. */
export function checkText(input: string, max: number, what: string): { ok: true; value: string } | { ok: false; reason: string } {
  if (input.length > max) return { ok: false, reason: `${what} is over-long (${input.length} > ${max} characters)` };
  if (PLAIN.test(input)) return { ok: true, value: input };
  if (input.includes('\0')) return { ok: false, reason: `${what} contains a NUL byte` };
  if (CONTROL.test(input)) return { ok: false, reason: `${what} contains a control character` };
  return { ok: true, value: input.normalize('NFC') };
}

/**
 * Lexical path normalisation: `.`/`..`, repeated and trailing slashes, NFC (protocol/src/paths.ts, shared with every
 * other path check). Relative paths that climb above the workspace are refused; `/..` stays `/` as in POSIX. The
 * workspace root itself is `.`. Idempotent.
 */
export function normalisePathLexical(input: string): Normalised {
  const c = confinePath(undefined, input, { max: { n: MAX_PATH_LENGTH, unit: 'chars' } });
  switch (c.type) {
    case 'ok':
      return { ok: true, value: c.rel, absolute: false };
    case 'absolute':
      return { ok: true, value: c.path, absolute: true };
    case 'outside':
      return { ok: false, reason: `path ${JSON.stringify(input.normalize('NFC').slice(0, 200))} escapes the workspace` };
    case 'invalid':
      return { ok: false, reason: `path ${c.reason}` };
  }
}

/**
 * Full path normalisation against a workspace root (already a real path): lexical first, then absolute paths inside
 * the workspace become workspace paths and symlinks are resolved where the file (or its nearest parent) exists.
 * A workspace path that resolves outside the workspace is refused.
 */
export function normalisePath(input: string, workspace?: string): Normalised {
  const lex = normalisePathLexical(input);
  if (!lex.ok || workspace === undefined) return lex;
  const abs = lex.absolute ? lex.value : lex.value === '.' ? workspace : workspace + '/' + lex.value;
  const real = realpathNearest(abs);
  const rel = relativeInside(workspace, real);
  if (rel !== undefined) return { ok: true, value: rel, absolute: false };
  if (!lex.absolute)
    return { ok: false, reason: `path ${JSON.stringify(input.slice(0, 200))} resolves (through a symlink) outside the workspace` };
  return { ok: true, value: real, absolute: true };
}

/** `p` (a real path, its bytes as they are) relative to `root`, or undefined when it is elsewhere. */
function relativeInside(root: string, p: string): string | undefined {
  const c = confinePath(root, p, REAL_PATH);
  return c.type === 'ok' ? c.rel : undefined;
}

/** realpath of the longest existing prefix, with the missing tail appended unchanged. */
function realpathNearest(abs: string): string {
  let head = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      const real = fs.realpathSync(head);
      return tail.length ? path.posix.join(real, ...tail.reverse()) : real;
    } catch {
      const parent = path.posix.dirname(head);
      if (parent === head) return abs;
      tail.push(path.posix.basename(head));
      head = parent;
    }
  }
}

const HOSTPORT = /^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?|\*):([0-9]{1,5})$/;

/** `Host:443` -> `host:443`; anything that is not host:port (or a port out of range) is refused. */
export function normaliseHostPort(input: string): Normalised {
  const t = checkText(input, 300, 'host:port');
  if (!t.ok) return t;
  const s = t.value.trim().toLowerCase().replace(/\.:/, ':');
  const m = HOSTPORT.exec(s);
  if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535)
    return { ok: false, reason: `resource ${JSON.stringify(input.slice(0, 100))} is not host:port` };
  return { ok: true, value: `${m[1]}:${Number(m[3])}`, absolute: false };
}

export function normaliseName(input: string): Normalised {
  const t = checkText(input, MAX_NAME_LENGTH, 'resource');
  if (!t.ok) return t;
  return { ok: true, value: t.value.trim(), absolute: false };
}
