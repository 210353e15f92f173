// The OS keychain (macOS Keychain, Windows Credential Manager, the Secret Service on Linux) through @napi-rs/keyring.
// The CLI's only door to that native binding (scripts/lint-layers.mjs keeps every other layer off it); it is loaded on
// first use, so commands that never need a stored key never load it.
import type * as Keyring from '@napi-rs/keyring';
import { AirlockError } from '../../../protocol/src/errors';
import type { KeyLookup } from './keys';

/** The keychain service name; each provider's key is one entry under it (account = the provider's key account). */
export const KEYCHAIN_SERVICE = 'airlock';
const ENV_VARS = 'ANTHROPIC_API_KEY, OPENAI_API_KEY, GEMINI_API_KEY';

export interface Keychain extends KeyLookup {
  set(account: string, secret: string): Promise<void>;
  /** True when an entry was removed, false when there was none. */
  remove(account: string): Promise<boolean>;
}

let binding: typeof Keyring | undefined;

function load(vars: string): typeof Keyring {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- native: loaded only when a command needs the keychain
    return (binding ??= require('@napi-rs/keyring') as typeof Keyring);
  } catch (err) {
    throw new AirlockError(
      'AUTH_KEYCHAIN_UNAVAILABLE',
      `the OS keychain binding does not load on ${process.platform}-${process.arch}: ${firstLine(err)}`,
      `set the key in the environment instead (${vars})`,
    );
  }
}

function firstLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return (m.split('\n')[0] ?? '').slice(0, 300);
}

/** A failure of the store itself (no Secret Service, no unlocked keyring, access refused), with what to do instead. */
export function keychainUnavailable(err: unknown, vars = ENV_VARS): AirlockError {
  if (err instanceof AirlockError) return err;
  if (process.platform === 'linux') {
    return new AirlockError(
      'AUTH_KEYCHAIN_UNAVAILABLE',
      `no usable Secret Service on this session (${firstLine(err)})`,
      `start gnome-keyring (or another Secret Service such as KeePassXC) and unlock its keyring, or use ${vars}`,
    );
  }
  return new AirlockError(
    'AUTH_KEYCHAIN_UNAVAILABLE',
    `the OS keychain could not be used: ${firstLine(err)}`,
    `unlock the keychain, or use ${vars}`,
  );
}

/** The OS keychain; `vars` names the environment variables to suggest when it cannot be used. */
export function osKeychain(vars = ENV_VARS): Keychain {
  const entry = (account: string) => {
    const k = load(vars);
    // On Linux the binding would otherwise fall back to the kernel keyring, which forgets keys at logout: a key that
    // silently vanishes is worse than a clear error, so the Secret Service is required.
    return new k.AsyncEntry(KEYCHAIN_SERVICE, account, { linux: { store: 'secret-service' } });
  };
  const guard = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      throw keychainUnavailable(err, vars);
    }
  };
  return {
    get: (account) => guard(async () => (await entry(account).getPassword()) ?? undefined),
    set: (account, secret) => guard(() => entry(account).setPassword(secret)),
    remove: (account) => guard(() => entry(account).deletePassword()),
  };
}
