// `airlock config get|set|unset|list|explain`: the configuration hierarchy, and why each value is what it is.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CONFIG_KEYS, type ConfigKey, isConfigKey, keyDef } from '../../../core/src/config/keys';
import { setConfigValue, unsetConfigValue } from '../../../core/src/config/edit';
import { type Explanation, resolveConfig, workspaceConfigFile } from '../../../core/src/config/resolve';
import { AirlockError } from '../../../protocol/src/errors';
import type { CliIO, Command } from '../command';

const USAGE = `airlock config list [--json]                 every key: its value and the layer it came from
       airlock config get KEY [--json]              the value in use
       airlock config explain KEY                   every layer's value, which one won, and why others were refused
       airlock config set KEY VALUE [--workspace-file]   write your user file (or the workspace's .airlock/config.yaml)
       airlock config unset KEY [--workspace-file]
  layers, lowest first: default < user < workspace < environment < flags; managed settings constrain them all.
  (all take --workspace DIR; default: the current directory)`;

const show = (v: unknown) => (v === undefined ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v));

function needKey(k: string | undefined): ConfigKey {
  if (!k) throw new AirlockError('CLI_USAGE', 'which key?', USAGE);
  if (!isConfigKey(k))
    throw new AirlockError('CONFIG_UNKNOWN_KEY', `unknown configuration key ${JSON.stringify(k)}`, `one of: ${CONFIG_KEYS.join(', ')}`);
  return k;
}

export function explainLines(e: Explanation): string[] {
  const def = keyDef(e.key);
  const lines = [
    `${e.key} = ${show(e.value)}   (from ${e.from})`,
    `  ${def.description}`,
    `  settable in: ${def.layers.join(', ')}${def.env ? `; env ${def.env}` : ''}${def.flag ? `; flag ${def.flag}` : ''}; default ${show(def.default)}`,
  ];
  for (const c of e.candidates)
    lines.push(`  ${c.status.padEnd(17)} ${c.layer.padEnd(9)} ${show(c.raw)}  ${c.source}${c.reason ? `  — ${c.reason}` : ''}`);
  if (e.from === 'managed') lines.push('  managed settings decide this value');
  return lines;
}

export async function configAction(args: string[], io: CliIO): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      workspace: { type: 'string' },
      'workspace-file': { type: 'boolean' },
    },
  });
  const [sub, k, value] = positionals;
  const workspace = path.resolve(io.cwd, values.workspace ?? '.');
  const resolve = () => resolveConfig({ workspace, env: io.env });
  switch (sub) {
    case 'list': {
      const r = resolve();
      if (values.json) {
        io.out(
          JSON.stringify(
            { values: r.values, managed: { digest: r.managed.digest, sources: r.managed.sources }, warnings: r.warnings, errors: r.errors },
            null,
            2,
          ),
        );
        return r.errors.length ? 1 : 0;
      }
      for (const key of CONFIG_KEYS) io.out(`${key.padEnd(24)} ${show(r.explain[key].value).padEnd(24)} ${r.explain[key].from}`);
      io.out(
        r.managed.sources.length
          ? `managed settings: ${r.managed.sources.map((s) => s.file).join(', ')} (digest ${r.managed.digest.slice(0, 16)})`
          : 'managed settings: none',
      );
      for (const w of r.warnings) io.err(`warning: ${w}`);
      for (const e of r.errors) io.err(`error: ${e}`);
      return r.errors.length ? 1 : 0;
    }
    case 'get': {
      const key = needKey(k);
      const r = resolve();
      for (const w of r.warnings) io.err(`warning: ${w}`);
      io.out(values.json ? JSON.stringify(r.explain[key].value ?? null) : show(r.explain[key].value));
      return 0;
    }
    case 'explain': {
      const r = resolve();
      for (const l of explainLines(r.explain[needKey(k)])) io.out(l);
      return 0;
    }
    case 'set':
    case 'unset': {
      const key = needKey(k);
      const file = values['workspace-file'] ? workspaceConfigFile(workspace) : resolve().files.user;
      if (sub === 'set') {
        if (value === undefined) throw new AirlockError('CLI_USAGE', `config set ${key} needs a value`, USAGE);
        const written = setConfigValue(file, values['workspace-file'] ? 'workspace' : 'user', key, value);
        io.out(`${key} = ${show(written)} in ${file}`);
      } else {
        io.out(unsetConfigValue(file, key) ? `${key} removed from ${file}` : `${key} was not set in ${file}`);
      }
      // Say at once when a higher layer or managed settings mean the change does not take effect.
      const layer = values['workspace-file'] ? 'workspace' : 'user';
      const e = resolve().explain[key];
      const mine = e.candidates.find((c) => c.layer === layer);
      if (sub === 'set' && e.from !== layer) {
        io.err(
          `note: ${key} is ${show(e.value)} from ${e.from}${mine?.reason ? `; your value is ${mine.status}: ${mine.reason}` : ''} (\`airlock config explain ${key}\`)`,
        );
      }
      return 0;
    }
    default:
      throw new AirlockError('CLI_USAGE', sub ? `unknown config command ${JSON.stringify(sub)}` : 'config needs a command', USAGE);
  }
}

export const config: Command = {
  name: 'config',
  summary: 'show, explain and change configuration (defaults < user < workspace < env < flags, under managed settings)',
  usage: USAGE,
  run: configAction,
};
