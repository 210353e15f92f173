// Builds the engine the kernel uses out of the box: the default policy for a mode from the policies/ directory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import { assets } from '../../../protocol/src/node/assets';
import { PolicyEngine, type PolicyEngineOptions } from './engine';
import { PolicyLoadError } from './loader';
import { TokenService } from './tokens';

export const DEFAULT_MODES = ['strict', 'explore', 'debug'] as const;
export type DefaultMode = (typeof DEFAULT_MODES)[number];

/** The policies folder the asset resolver found (AIRLOCK_POLICIES_DIR overrides it). */
export function defaultPoliciesDir(): string {
  return assets().policiesDir;
}

export function defaultPolicyPath(mode: string, dir = defaultPoliciesDir()): string {
  if (!/^[a-z][a-z0-9-]*$/.test(mode)) throw new AirlockError('POLICY_MODE', `bad mode name ${JSON.stringify(mode)}`);
  const file = path.join(dir, `${mode}.yaml`);
  if (!fs.existsSync(file))
    throw new AirlockError('POLICY_MODE', `no default policy for mode ${mode} (${file})`, `one of: ${DEFAULT_MODES.join(', ')}`);
  return file;
}

/** An engine with the mode's default policy loaded (throws PolicyLoadError if that policy is broken). */
export function createDefaultPolicyEngine(mode: string, opts: PolicyEngineOptions & { policiesDir?: string } = {}): PolicyEngine {
  const engine = new PolicyEngine({ ...opts, mode });
  engine.load([defaultPolicyPath(mode, opts.policiesDir)]);
  return engine;
}

export const TOKEN_KEY_NAME = 'policy-token.key';

/**
 * The kernel's engine: default policy for AIRLOCK_POLICY_MODE (strict unless set), token key in the state dir.
 * A broken default policy leaves the built-ins only (everything else denied) and the reason in `lastError`.
 */
export function createKernelPolicyEngine(
  config: { workspace: string; stateDir: string },
  env: NodeJS.ProcessEnv = process.env,
): PolicyEngine {
  const mode = env.AIRLOCK_POLICY_MODE ?? 'strict';
  const tokens = TokenService.openKeyFile(path.join(config.stateDir, TOKEN_KEY_NAME), { issuer: 'kernel', rejectEarlier: true });
  const engine = new PolicyEngine({
    mode,
    tokens,
    workspace: fs.realpathSync(config.workspace),
    stateDir: config.stateDir,
    kernelDir: assets().kernelDir,
  });
  const files = env.AIRLOCK_POLICY_FILES ? env.AIRLOCK_POLICY_FILES.split(path.delimiter).filter(Boolean) : [defaultPolicyPath(mode)];
  try {
    engine.load(files);
  } catch (e) {
    if (!(e instanceof PolicyLoadError)) throw e;
  }
  return engine;
}
