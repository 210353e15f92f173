// Builds the engine the kernel uses out of the box: the default policy for a mode from the policies/ directory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import { PolicyEngine, PolicyEngineOptions } from './engine';

export const DEFAULT_MODES = ['strict', 'explore', 'debug'] as const;
export type DefaultMode = (typeof DEFAULT_MODES)[number];

export function defaultPoliciesDir(): string {
  return path.resolve(__dirname, '../../../policies');
}

export function defaultPolicyPath(mode: string, dir = defaultPoliciesDir()): string {
  if (!/^[a-z][a-z0-9-]*$/.test(mode)) throw new AirlockError('POLICY_MODE', `bad mode name ${JSON.stringify(mode)}`);
  const file = path.join(dir, `${mode}.yaml`);
  if (!fs.existsSync(file)) throw new AirlockError('POLICY_MODE', `no default policy for mode ${mode} (${file})`, `one of: ${DEFAULT_MODES.join(', ')}`);
  return file;
}

/** An engine with the mode's default policy loaded (throws PolicyLoadError if that policy is broken). */
export function createDefaultPolicyEngine(mode: string, opts: PolicyEngineOptions & { policiesDir?: string } = {}): PolicyEngine {
  const engine = new PolicyEngine({ ...opts, mode });
  engine.load([defaultPolicyPath(mode, opts.policiesDir)]);
  return engine;
}
