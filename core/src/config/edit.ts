// `airlock config set|unset`: edits one layer file in place, keeping its comments and the person's layout.
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { AirlockError, ErrorCodes, formatIssues } from '../../../protocol/src/errors';
import { type ConfigKey, keyDef, type Layer } from './keys';

function load(file: string): YAML.Document {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const doc = text.trim() ? YAML.parseDocument(text) : new YAML.Document({});
  if (doc.errors.length)
    throw new AirlockError(ErrorCodes.Config, `${file} is not valid YAML: ${doc.errors[0]!.message}`, 'fix the file by hand first');
  return doc;
}

function save(file: string, doc: YAML.Document): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, doc.toString(), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Validates `raw` for `key` as `layer` would be read, then writes the parsed value. */
export function setConfigValue(file: string, layer: Exclude<Layer, 'default' | 'env' | 'flag'>, key: ConfigKey, raw: string): unknown {
  const def = keyDef(key);
  if (!def.layers.includes(layer))
    throw new AirlockError(
      ErrorCodes.Config,
      `${key} cannot be set in the ${layer} file`,
      `set it in ${def.layers.filter((l) => l === 'user').length ? 'your user file (without --workspace-file)' : 'the environment or a flag'}`,
    );
  let value: unknown = raw;
  try {
    value = YAML.parse(raw);
  } catch {
    /* a plain string */
  }
  let parsed = def.schema.safeParse(value);
  if (!parsed.success && typeof value !== 'string') parsed = def.schema.safeParse(raw);
  if (!parsed.success)
    throw new AirlockError(
      ErrorCodes.Config,
      `${key}: ${formatIssues(parsed.error)}`,
      `\`airlock config explain ${key}\` describes the key`,
    );
  const doc = load(file);
  if (doc.has(key)) doc.set(key, parsed.data);
  else doc.setIn(key.split('.'), parsed.data);
  save(file, doc);
  return parsed.data;
}

/** Removes the key in either form (`a.b:` or nested); true when something was removed. */
export function unsetConfigValue(file: string, key: ConfigKey): boolean {
  if (!fs.existsSync(file)) return false;
  const doc = load(file);
  const had = doc.has(key) || doc.hasIn(key.split('.'));
  if (doc.has(key)) doc.delete(key);
  if (doc.hasIn(key.split('.'))) doc.deleteIn(key.split('.'));
  // Leave no empty parent mappings behind (`agent: {}`).
  const parts = key.split('.');
  for (let i = parts.length - 1; i > 0; i--) {
    const parent = doc.getIn(parts.slice(0, i));
    if (YAML.isMap(parent) && parent.items.length === 0) doc.deleteIn(parts.slice(0, i));
  }
  if (had) save(file, doc);
  return had;
}
