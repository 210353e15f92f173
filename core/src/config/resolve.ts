// The configuration hierarchy: defaults < user < workspace < environment < flags, all under managed settings.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { AirlockError, ErrorCodes, formatIssues } from '../../../protocol/src/errors';
import { CONFIG_KEYS, type ConfigKey, isConfigKey, keyDef, type Layer } from './keys';
import { legacyJsonFile, readLegacyJson } from './legacy';
import { loadManaged, type Managed, managedLocations, managedRefusal } from './managed';

export type Values = Partial<Record<ConfigKey, unknown>>;
export type CandidateStatus = 'won' | 'overridden' | 'refused' | 'invalid' | 'not-settable-here';
export interface Candidate {
  layer: Layer;
  source: string;
  raw: unknown;
  status: CandidateStatus;
  reason?: string;
}
export interface Explanation {
  key: ConfigKey;
  value: unknown;
  /** The layer whose value is used; `managed` when locked or bounded by managed settings; `unset` when nothing applies. */
  from: Layer | 'managed' | 'unset';
  candidates: Candidate[];
}
export interface ResolvedConfig {
  values: Values;
  explain: Record<ConfigKey, Explanation>;
  /** One line per value a layer tried to set and could not (shown by the CLI, the extension and doctor). */
  warnings: string[];
  /** Values that do not parse (a typo in a file, a bad environment value): starting anything with them is refused
   * (`assertUsable`), while `airlock config` still shows them so they can be fixed. */
  errors: string[];
  managed: Managed;
  files: { user: string; workspace?: string };
}

/** The person's own configuration file on each platform. */
export function userConfigFile(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.AIRLOCK_CONFIG_FILE) return env.AIRLOCK_CONFIG_FILE;
  const home = env.HOME ?? os.homedir();
  if (platform === 'win32') return path.win32.join(env.APPDATA ?? path.win32.join(home, 'AppData', 'Roaming'), 'Airlock', 'config.yaml');
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', 'Airlock', 'config.yaml');
  return path.posix.join(env.XDG_CONFIG_HOME ?? path.posix.join(home, '.config'), 'airlock', 'config.yaml');
}

export function workspaceConfigFile(workspace: string): string {
  return path.join(workspace, '.airlock', 'config.yaml');
}

/** `a: { b: 1 }` and `a.b: 1` both name key `a.b`. */
function flatten(o: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v) && !isConfigKey(key)) flatten(v as Record<string, unknown>, key, out);
    else out[key] = v;
  }
  return out;
}

/** A YAML layer file as keys; unknown keys become warnings (a typo must be visible, not silently ignored). */
export function readLayerFile(file: string, warnings: string[] = []): Values {
  if (!fs.existsSync(file)) return {};
  let doc: unknown;
  try {
    doc = YAML.parse(fs.readFileSync(file, 'utf8')) ?? {};
  } catch (e) {
    throw new AirlockError(
      ErrorCodes.Config,
      `${file} is not valid YAML: ${(e as Error).message}`,
      'fix the file, or `airlock config unset KEY` the value',
    );
  }
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new AirlockError(ErrorCodes.Config, `${file} must be a mapping of keys to values`, 'see docs/configuration.md');
  const out: Values = {};
  for (const [k, v] of Object.entries(flatten(doc as Record<string, unknown>))) {
    if (isConfigKey(k)) out[k] = v;
    else warnings.push(`${file}: unknown key ${k} (ignored; see \`airlock config list\`)`);
  }
  return out;
}

export function envLayer(env: NodeJS.ProcessEnv): Values {
  const out: Values = {};
  for (const k of CONFIG_KEYS) {
    const name = keyDef(k).env;
    if (name && env[name] !== undefined && env[name] !== '') out[k] = env[name];
  }
  return out;
}

export interface ResolveInput {
  workspace?: string;
  env?: NodeJS.ProcessEnv;
  /** Command-line flags or the editor's settings: the highest layer below managed. */
  flags?: Values;
  flagSource?: string;
  managed?: Managed;
}

export function resolveConfig(input: ResolveInput = {}): ResolvedConfig {
  const env = input.env ?? process.env;
  const warnings: string[] = [];
  const errors: string[] = [];
  const managed = input.managed ?? loadManaged(managedLocations(process.platform, env));
  const user = userConfigFile(env);
  const wsFile = input.workspace ? workspaceConfigFile(input.workspace) : undefined;
  // Highest precedence first.
  const layers: { layer: Layer; source: string; values: Values }[] = [
    { layer: 'flag', source: input.flagSource ?? 'command line', values: input.flags ?? {} },
    { layer: 'env', source: 'environment', values: envLayer(env) },
    ...(wsFile ? [{ layer: 'workspace' as const, source: wsFile, values: readLayerFile(wsFile, warnings) }] : []),
    { layer: 'user', source: user, values: readLayerFile(user, warnings) },
    { layer: 'user', source: legacyJsonFile(user), values: readLegacyJson(user, warnings) },
  ];
  const values: Values = {};
  const explain = {} as Record<ConfigKey, Explanation>;
  for (const key of CONFIG_KEYS) {
    const e = resolveKey(key, layers, managed, warnings, errors);
    explain[key] = e;
    if (e.value !== undefined) values[key] = e.value;
  }
  return { values, explain, warnings: [...new Set(warnings)], errors, managed, files: { user, workspace: wsFile } };
}

function resolveKey(
  key: ConfigKey,
  layers: { layer: Layer; source: string; values: Values }[],
  managed: Managed,
  warnings: string[],
  errors: string[],
): Explanation {
  const def = keyDef(key);
  const candidates: Candidate[] = [];
  let winner: { value: unknown; from: Explanation['from'] } | undefined;
  for (const { layer, source, values } of layers) {
    const raw = values[key];
    if (raw === undefined) continue;
    const where = layer === 'env' ? `${def.env}` : layer === 'flag' ? `${source} (${def.flag ?? key})` : source;
    if (layer !== 'default' && !def.layers.includes(layer)) {
      const reason = `${layer} settings may not set ${key}`;
      warnings.push(`${where}: ${reason}; ignored`);
      candidates.push({ layer, source, raw, status: 'not-settable-here', reason });
      continue;
    }
    const parsed = def.schema.safeParse(raw);
    if (!parsed.success) {
      const reason = formatIssues(parsed.error);
      errors.push(`${where}: ${key}=${JSON.stringify(raw)}: ${reason}`);
      candidates.push({ layer, source, raw, status: 'invalid', reason });
      continue;
    }
    const refusal = managedRefusal(managed, key, parsed.data);
    if (refusal) {
      warnings.push(`${where}: ${key}=${JSON.stringify(raw)} ignored: ${refusal}`);
      candidates.push({ layer, source, raw, status: 'refused', reason: refusal });
      continue;
    }
    candidates.push({ layer, source, raw, status: winner ? 'overridden' : 'won' });
    winner ??= { value: parsed.data, from: layer };
  }
  if (key in managed.lock) return { key, value: def.schema.parse(managed.lock[key]), from: 'managed', candidates };
  if (winner) return { key, value: winner.value, candidates, ...{ from: winner.from } };
  return { key, candidates, ...fallback(key, managed) };
}

/** Nothing set it: the default, unless managed settings exclude it. Unset means unlimited, so a maximum applies. */
function fallback(key: ConfigKey, managed: Managed): Pick<Explanation, 'value' | 'from'> {
  const def = keyDef(key);
  const max = managed.maximum[key];
  if (def.default === undefined)
    return max !== undefined ? { value: def.schema.parse(max), from: 'managed' } : { value: undefined, from: 'unset' };
  if (!managedRefusal(managed, key, def.default)) return { value: def.default, from: 'default' };
  const bound = managed.minimum[key] ?? max;
  return bound !== undefined && !managedRefusal(managed, key, bound)
    ? { value: def.schema.parse(bound), from: 'managed' }
    : { value: undefined, from: 'unset' };
}

/** Refuses configuration with values that do not parse: the first one named, with where it came from. */
export function assertUsable(r: ResolvedConfig): void {
  if (!r.errors.length) return;
  throw new AirlockError(
    ErrorCodes.Config,
    `invalid Airlock configuration: ${r.errors[0]}${r.errors.length > 1 ? ` (and ${r.errors.length - 1} more)` : ''}`,
    'fix the value, or remove it with `airlock config unset KEY`; `airlock config list` shows every value and where it came from',
  );
}
