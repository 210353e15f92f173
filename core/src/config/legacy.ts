// Names bootstrap has always used for its options, and the old `config.json`, mapped onto the configuration keys.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import type { ConfigKey } from './keys';
import type { Values } from './resolve';

/** Bootstrap option -> configuration key (options not listed are not configuration: timeouts, limits for tests). */
export const BOOTSTRAP_KEYS = {
  runtime: 'engine.runtime',
  socket: 'engine.socket',
  stateRoot: 'state.root',
  policiesDir: 'policies.dir',
  templatesDir: 'templates.dir',
  image: 'kernel.image',
  kernelNetwork: 'kernel.network',
  outputsSize: 'outputs.size',
  kernelTransport: 'kernel.transport',
  engineHostSocket: 'engine.hostSocket',
  idleMinutes: 'kernel.idleMinutes',
  sandboxRuntime: 'sandbox.runtime',
  egressRelay: 'egress.relay',
} as const satisfies Record<string, ConfigKey>;

/** `~/.config/airlock/config.json` (before config.yaml): read only when config.yaml is absent, with a warning. */
export function legacyJsonFile(userYaml: string): string {
  return path.join(path.dirname(userYaml), 'config.json');
}

export function readLegacyJson(userYaml: string, warnings: string[]): Values {
  const file = legacyJsonFile(userYaml);
  if (fs.existsSync(userYaml) || !fs.existsSync(file)) return {};
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new AirlockError(
      ErrorCodes.Config,
      `${file} is not valid JSON: ${(e as Error).message}`,
      'fix or delete the file (its settings now live in config.yaml: `airlock config set`)',
    );
  }
  warnings.push(`${file} is read for compatibility; \`airlock config set\` writes ${path.basename(userYaml)} instead`);
  const out: Values = {};
  for (const [name, v] of Object.entries(doc)) {
    const key = (BOOTSTRAP_KEYS as Record<string, ConfigKey>)[name];
    if (key) out[key] = v;
    else warnings.push(`${file}: ${name} is not a setting (ignored; see \`airlock config list\`)`);
  }
  return out;
}
