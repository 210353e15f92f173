// Managed settings: files an administrator owns that constrain every other layer; merging them only ever tightens.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { AirlockError, formatIssues } from '../../../protocol/src/errors';
import { type ConfigKey, isConfigKey, keyDef } from './keys';
import { ordinal } from './units';

export const CONFIG_MANAGED_INVALID = 'CONFIG_MANAGED_INVALID';

const KeyMap = <T extends z.ZodType>(v: T) =>
  z.record(z.string(), v).refine((o) => Object.keys(o).every(isConfigKey), {
    message: 'unknown configuration key (see `airlock config list`)',
  });

/** One managed file as written. */
export const ManagedFile = z
  .object({
    /** Values nobody below can change. */
    lock: KeyMap(z.unknown()).default({}),
    /** Allowed values of a key (strings may use `*` globs; for list keys, each element). */
    allow: KeyMap(z.array(z.union([z.string(), z.number(), z.boolean()]))).default({}),
    /** Lower and upper bounds for numbers, sizes and durations (e.g. audit.maxAge: 90d). */
    minimum: KeyMap(z.union([z.string(), z.number()])).default({}),
    maximum: KeyMap(z.union([z.string(), z.number()])).default({}),
  })
  .strict();
export type ManagedFile = z.infer<typeof ManagedFile>;

export interface ManagedSource {
  file: string;
  sha256: string;
}
export interface Managed {
  lock: Partial<Record<ConfigKey, unknown>>;
  allow: Partial<Record<ConfigKey, (string | number | boolean)[]>>;
  minimum: Partial<Record<ConfigKey, string | number>>;
  maximum: Partial<Record<ConfigKey, string | number>>;
  sources: ManagedSource[];
  /** sha256 over the merged constraints and every source's content; recorded by the kernel at start. */
  digest: string;
}

/** Where administrators put managed settings on each platform; `AIRLOCK_MANAGED_EXTRA` adds (never replaces) files. */
export function managedLocations(platform = process.platform, env: NodeJS.ProcessEnv = process.env): string[] {
  const base =
    platform === 'win32'
      ? path.win32.join(env.ProgramData ?? 'C:\\ProgramData', 'Airlock')
      : platform === 'darwin'
        ? '/Library/Application Support/Airlock'
        : '/etc/airlock';
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  const extra = (env.AIRLOCK_MANAGED_EXTRA ?? '').split(path.delimiter).filter(Boolean);
  return [join(base, 'managed.yaml'), join(base, 'managed.d'), ...extra];
}

function filesOf(location: string): string[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(location);
  } catch {
    return [];
  }
  if (!st.isDirectory()) return [location];
  return fs
    .readdirSync(location)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(location, f));
}

function readOne(file: string): { parsed: ManagedFile; text: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    // Fail closed: a managed file that exists but cannot be read must not silently drop its constraints.
    throw new AirlockError(
      CONFIG_MANAGED_INVALID,
      `managed settings ${file} cannot be read: ${(e as Error).message}`,
      'ask your administrator; Airlock does not start without its managed settings',
    );
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text) ?? {};
  } catch (e) {
    throw new AirlockError(
      CONFIG_MANAGED_INVALID,
      `managed settings ${file} are not valid YAML: ${(e as Error).message}`,
      'ask your administrator to fix the file',
    );
  }
  const parsed = ManagedFile.safeParse(doc);
  if (!parsed.success)
    throw new AirlockError(
      CONFIG_MANAGED_INVALID,
      `managed settings ${file}: ${formatIssues(parsed.error)}`,
      'ask your administrator to fix the file',
    );
  for (const [k, v] of Object.entries(parsed.data.lock)) {
    const ok = keyDef(k as ConfigKey).schema.safeParse(v);
    if (!ok.success)
      throw new AirlockError(
        CONFIG_MANAGED_INVALID,
        `managed settings ${file}: lock.${k}: ${formatIssues(ok.error)}`,
        'ask your administrator to fix the file',
      );
  }
  return { parsed: parsed.data, text };
}

/** Reads and merges every managed file: locks must agree, allow-lists intersect, the tightest bound wins. */
export function loadManaged(locations = managedLocations()): Managed {
  const m: Managed = { lock: {}, allow: {}, minimum: {}, maximum: {}, sources: [], digest: '' };
  for (const file of locations.flatMap(filesOf)) {
    const { parsed, text } = readOne(file);
    m.sources.push({ file, sha256: crypto.createHash('sha256').update(text).digest('hex') });
    for (const [k, v] of Object.entries(parsed.lock) as [ConfigKey, unknown][]) {
      if (k in m.lock && JSON.stringify(m.lock[k]) !== JSON.stringify(v)) {
        throw new AirlockError(
          CONFIG_MANAGED_INVALID,
          `managed settings disagree on ${k}: ${JSON.stringify(m.lock[k])} and ${JSON.stringify(v)} (${file})`,
          'ask your administrator to lock each key once',
        );
      }
      m.lock[k] = v;
    }
    for (const [k, v] of Object.entries(parsed.allow) as [ConfigKey, (string | number | boolean)[]][]) {
      m.allow[k] = m.allow[k] ? m.allow[k]!.filter((x) => v.some((y) => String(y) === String(x))) : v;
    }
    for (const [bound, pick] of [
      ['minimum', Math.max],
      ['maximum', Math.min],
    ] as const) {
      for (const [k, v] of Object.entries(parsed[bound]) as [ConfigKey, string | number][]) {
        const n = ordinal(keyDef(k).kind, v);
        if (n === undefined || Number.isNaN(n))
          throw new AirlockError(
            CONFIG_MANAGED_INVALID,
            `managed settings ${file}: ${bound}.${k} needs a key with an order (a number, size or duration)`,
            'ask your administrator to fix the file',
          );
        const prev = m[bound][k];
        if (prev === undefined || pick(n, ordinal(keyDef(k).kind, prev)!) === n) m[bound][k] = v;
      }
    }
  }
  const canonical = JSON.stringify({
    lock: sorted(m.lock),
    allow: sorted(m.allow),
    minimum: sorted(m.minimum),
    maximum: sorted(m.maximum),
    sources: m.sources,
  });
  m.digest = crypto.createHash('sha256').update(canonical).digest('hex');
  return m;
}

function sorted<T>(o: Partial<Record<string, T>>): [string, T | undefined][] {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}

/** Why a value breaks the managed constraints of its key, or undefined when it keeps them. */
export function managedRefusal(m: Managed, key: ConfigKey, value: unknown): string | undefined {
  const def = keyDef(key);
  if (key in m.lock && JSON.stringify(m.lock[key]) !== JSON.stringify(value))
    return `locked to ${JSON.stringify(m.lock[key])} by managed settings`;
  const allow = m.allow[key];
  if (allow) {
    const items = Array.isArray(value) ? value : [value];
    const bad = items.filter((x) => !allow.some((a) => globMatch(String(a), String(x))));
    if (bad.length)
      return `not allowed by managed settings (${bad.map((b) => JSON.stringify(b)).join(', ')}; allowed: ${allow.join(', ')})`;
  }
  const n = ordinal(def.kind, value);
  if (n !== undefined) {
    const min = m.minimum[key];
    const max = m.maximum[key];
    if (min !== undefined && n < ordinal(def.kind, min)!) return `below the managed minimum ${min}`;
    if (max !== undefined && n > ordinal(def.kind, max)!) return `above the managed maximum ${max}`;
  }
  return undefined;
}

function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(s);
}

/** What the kernel receives (AIRLOCK_MANAGED): the constraints, the sources and the digest, as base64 JSON. */
export function encodeManaged(m: Managed): string {
  return Buffer.from(JSON.stringify(m)).toString('base64');
}

const ManagedWire = z.object({
  lock: z.record(z.string(), z.unknown()),
  allow: z.record(z.string(), z.array(z.union([z.string(), z.number(), z.boolean()]))),
  minimum: z.record(z.string(), z.union([z.string(), z.number()])),
  maximum: z.record(z.string(), z.union([z.string(), z.number()])),
  sources: z.array(z.object({ file: z.string(), sha256: z.string() })),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
});

/** The kernel's side: absent means none; present but unreadable refuses to start (fail closed). */
export function decodeManaged(value: string | undefined): Managed {
  if (!value) return { lock: {}, allow: {}, minimum: {}, maximum: {}, sources: [], digest: loadManaged([]).digest };
  try {
    return ManagedWire.parse(JSON.parse(Buffer.from(value, 'base64').toString('utf8'))) as Managed;
  } catch (e) {
    throw new AirlockError(
      CONFIG_MANAGED_INVALID,
      `AIRLOCK_MANAGED cannot be read: ${(e as Error).message}`,
      'bootstrap sets it; restart Airlock',
    );
  }
}
