// Where a provider's API key comes from: the environment first (CI, scripts), then the OS keychain (`airlock auth set`).
import type { ProviderName } from '../../../protocol/src/agent';
import type { AirlockError } from '../../../protocol/src/errors';
import { keychainUnavailable } from './keychain';

export type KeyedProvider = Exclude<ProviderName, 'replay' | 'vscode-lm'>;

/**
 * Per provider: its environment variables (the first one set wins) and its keychain entry. openai-responses is the
 * same vendor and key as openai; openai-compatible keeps its own entry, so a stored OpenAI key is never sent to
 * another vendor's --base-url (its environment variable stays OPENAI_API_KEY, as before).
 */
export const KEY_SOURCES: Record<KeyedProvider, { vars: string[]; account: string }> = {
  openai: { vars: ['OPENAI_API_KEY'], account: 'openai' },
  'openai-responses': { vars: ['OPENAI_API_KEY'], account: 'openai' },
  'openai-compatible': { vars: ['OPENAI_API_KEY'], account: 'openai-compatible' },
  anthropic: { vars: ['ANTHROPIC_API_KEY'], account: 'anthropic' },
  google: { vars: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'], account: 'google' },
};

/** The keychain entries `airlock auth` manages, one per distinct account. */
export const KEY_ACCOUNTS = [...new Set(Object.values(KEY_SOURCES).map((s) => s.account))];

export function isKeyedProvider(name: string): name is KeyedProvider {
  return Object.hasOwn(KEY_SOURCES, name);
}

/** What reads the keychain; injectable so unit tests need no Secret Service. */
export interface KeyLookup {
  get(account: string): Promise<string | undefined>;
}

export type KeyFound =
  | { source: 'environment'; key: string; variable: string }
  | { source: 'keychain'; key: string }
  | { source: 'none'; /** Why the keychain could not be read, when it could not. */ problem?: AirlockError };

/** The environment's key when one is set (it overrides, for CI), else the keychain's; never throws. */
export async function findKey(provider: KeyedProvider, env: NodeJS.ProcessEnv, keychain: KeyLookup): Promise<KeyFound> {
  const { vars, account } = KEY_SOURCES[provider];
  const variable = vars.find((v) => !!env[v]);
  if (variable) return { source: 'environment', key: env[variable]!, variable };
  try {
    const key = await keychain.get(account);
    return key ? { source: 'keychain', key } : { source: 'none' };
  } catch (err) {
    return { source: 'none', problem: keychainUnavailable(err) };
  }
}
