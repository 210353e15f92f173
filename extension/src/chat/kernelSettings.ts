// airlock.autoMerge.* → task/start auto-merge criteria and airlock.pool.* → sandbox/pools sizes (pure: unit-tested).
import { AutoMergeCriteria } from '../../../protocol/src/patches';
import { MAX_POOL_SIZE } from '../../../protocol/src/methods/sandbox';

/** Reads one setting under `airlock.` (a vscode.WorkspaceConfiguration's `get`). */
export type SettingGet = (key: string) => unknown;

/** airlock.pool.<setting> → the sandbox template it sizes (templates/sandbox/<name>.yaml). */
export const POOL_TEMPLATES = {
  codeExecutor: 'code-executor',
  aiProvider: 'ai-provider',
  policySandbox: 'policy-sandbox',
  integrationTest: 'integration-test',
} as const;

/**
 * The criteria sent with every task/start (enabled: false while the setting is off, so the kernel does nothing).
 * Modes are not a setting: the default (explore only) applies, and strict never auto-merges whatever is sent.
 */
export function autoMergeCriteria(get: SettingGet): AutoMergeCriteria {
  const paths = get('autoMerge.paths');
  const max = get('autoMerge.maxChangedLines');
  return AutoMergeCriteria.parse({
    enabled: get('autoMerge.enabled') === true,
    paths: Array.isArray(paths)
      ? paths.filter((p): p is string => typeof p === 'string' && p.trim() !== '').map((p) => p.trim())
      : ['test/**'],
    // A broken value never widens the limit: it falls back to the setting's default.
    maxChangedLines: typeof max === 'number' && Number.isInteger(max) && max >= 0 ? max : 20,
    requireTestsPassed: get('autoMerge.requireTestsPassed') !== false,
    allowDeletes: get('autoMerge.allowDeletes') === true,
    allowBinary: get('autoMerge.allowBinary') === true,
  });
}

/** The sandbox/pools sizes for the airlock.pool.* settings; unset or broken values are left out (the template's size stays). */
export function poolSizes(get: SettingGet): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [setting, template] of Object.entries(POOL_TEMPLATES)) {
    const v = get(`pool.${setting}`);
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) out[template] = Math.min(v, MAX_POOL_SIZE);
  }
  return out;
}
