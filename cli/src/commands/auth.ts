// `airlock auth set|list|remove PROVIDER`: provider API keys in the OS keychain, for the CLI (VS Code keeps its own
// SecretStorage); the environment still overrides them, so CI needs no keychain.
import { parseArgs } from 'node:util';
import { AirlockError } from '../../../protocol/src/errors';
import { keychainUnavailable, osKeychain, type Keychain } from '../auth/keychain';
import { isKeyedProvider, KEY_ACCOUNTS, KEY_SOURCES, type KeyedProvider } from '../auth/keys';
import { readSecret } from '../auth/read-secret';
import type { CliIO, Command } from '../command';

const USAGE = `airlock auth set PROVIDER       store PROVIDER's API key in the OS keychain (typed at a hidden prompt, or piped on stdin)
       airlock auth list [--json]      which providers have a key and where it comes from (never the key itself)
       airlock auth remove PROVIDER    delete PROVIDER's key from the OS keychain
  providers: openai (also used by openai-responses), anthropic, google, openai-compatible
  the environment overrides the keychain: OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY / GOOGLE_API_KEY
  never pass the key as an argument: it would be kept in your shell history; pipe it: printf %s "$KEY" | airlock auth set anthropic`;

export interface AuthDeps {
  keychain(vars: string): Keychain;
  readSecret(io: CliIO, question: string, usage: string): Promise<string>;
}

export interface KeyRow {
  account: string;
  source: 'environment' | 'keychain' | 'none';
  variable?: string;
  inKeychain: boolean | null;
}

function provider(name: string | undefined): KeyedProvider {
  if (name === 'replay') throw new AirlockError('CLI_USAGE', 'the replay provider needs no key', USAGE);
  if (!name || !isKeyedProvider(name)) {
    throw new AirlockError(
      'CLI_USAGE',
      name ? `unknown provider ${JSON.stringify(name)}` : 'which provider?',
      `one of: ${KEY_ACCOUNTS.join(', ')}`,
    );
  }
  return name;
}

const varsOf = (p: KeyedProvider) => KEY_SOURCES[p].vars.join(' / ');
const envVarOf = (p: KeyedProvider, env: NodeJS.ProcessEnv) => KEY_SOURCES[p].vars.find((v) => !!env[v]);

/** Which entries have a key and where `airlock run` takes it from; the keychain's problem when it cannot be read. */
export async function keyRows(env: NodeJS.ProcessEnv, keychain: Keychain): Promise<{ rows: KeyRow[]; problem?: AirlockError }> {
  const rows: KeyRow[] = [];
  let problem: AirlockError | undefined;
  for (const account of KEY_ACCOUNTS) {
    const p = account as KeyedProvider; // every account is also the name of a provider that uses it
    let inKeychain: boolean | null = null;
    if (!problem) {
      try {
        inKeychain = !!(await keychain.get(account));
      } catch (err) {
        problem = keychainUnavailable(err);
      }
    }
    const variable = envVarOf(p, env);
    rows.push({ account, inKeychain, ...(variable ? { source: 'environment', variable } : { source: inKeychain ? 'keychain' : 'none' }) });
  }
  return { rows, problem };
}

function describe(r: KeyRow): string {
  if (r.source === 'environment') return `environment (${r.variable})${r.inKeychain ? ', overrides the keychain' : ''}`;
  return r.source === 'keychain' ? 'keychain' : '-';
}

export function makeAuth(deps: AuthDeps): Command {
  return {
    name: 'auth',
    summary: 'store provider API keys in the OS keychain (set, list, remove); the environment overrides them',
    usage: USAGE,
    async run(args, io) {
      const [sub, ...rest] = args;
      if (sub === 'set' || sub === 'remove') {
        const [name, ...extra] = rest;
        // Whatever follows `set` may be the key itself: refuse it without echoing it anywhere.
        if (sub === 'set' && name !== undefined && name !== 'replay' && !isKeyedProvider(name)) {
          throw new AirlockError(
            'CLI_USAGE',
            'airlock auth set: the first argument is not a provider name (not shown, in case it is a key)',
            `one of: ${KEY_ACCOUNTS.join(', ')}; the key itself comes from a hidden prompt or stdin`,
          );
        }
        if (sub === 'set' && extra.length) {
          const p = provider(name);
          throw new AirlockError(
            'AUTH_KEY_IN_ARGUMENTS',
            'airlock auth set takes the key from a hidden prompt or stdin, never from the command line',
            `an argument is kept in your shell history: remove it there (or rotate the key), then run \`airlock auth set ${p}\` and paste it, ` +
              `or pipe it: printf %s "$KEY" | airlock auth set ${p}`,
          );
        }
        if (extra.length)
          throw new AirlockError('CLI_USAGE', `airlock auth remove takes one provider, got ${rest.length} arguments`, USAGE);
        const p = provider(name);
        const { account } = KEY_SOURCES[p];
        const keychain = deps.keychain(varsOf(p));
        const variable = envVarOf(p, io.env);
        if (sub === 'set') {
          const key = await deps.readSecret(io, `API key for ${account} (input hidden): `, USAGE);
          await keychain.set(account, key);
          io.out(`stored the ${account} key in the OS keychain${account !== p ? ` (used by ${p} too)` : ''}`);
        } else {
          io.out(
            (await keychain.remove(account)) ? `removed the ${account} key from the OS keychain` : `no ${account} key in the OS keychain`,
          );
        }
        if (variable) io.err(`note: ${variable} is set in this environment; airlock run uses it instead of the keychain`);
        return 0;
      }
      if (sub === 'list') {
        const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
        const { rows, problem } = await keyRows(io.env, deps.keychain('the environment variables'));
        if (values.json) {
          io.out(
            JSON.stringify({ providers: rows, keychain: problem ? { available: false, error: problem.toPayload() } : { available: true } }),
          );
          return 0;
        }
        io.out(`${'provider'.padEnd(19)}key from`);
        for (const r of rows) io.out(`${r.account.padEnd(19)}${describe(r)}`);
        if (problem) io.err(`note: the keychain could not be read: ${problem.message}${problem.hint ? `\n  hint: ${problem.hint}` : ''}`);
        return 0;
      }
      throw new AirlockError('CLI_USAGE', sub ? `unknown auth command ${JSON.stringify(sub)}` : 'airlock auth needs a command', USAGE);
    },
  };
}

export const auth = makeAuth({ keychain: osKeychain, readSecret });
