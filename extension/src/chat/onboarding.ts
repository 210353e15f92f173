// First run: whether a task can run yet (a provider with its key, or a base URL), and saving the chat's setup form.
import * as vscode from 'vscode';
import { ProviderName } from '../../../protocol/src/agent';
import { AirlockError } from '../../../protocol/src/errors';
import { DisposableStore, type IDisposable } from '../../../protocol/src/lifecycle';
import type { ChatSetup, SetupAnswer } from '../../../protocol/src/webview';
import { SUGGESTED_MODELS } from '../commands/models';
import { secretKey } from '../commands/setApiKey';
import { readAgentSettings } from '../settings';
import { availableModels } from '../lm/lmAdapter';
import { vscodeLm } from '../lm/lmService';

type Config = Pick<vscode.WorkspaceConfiguration, 'get' | 'update' | 'inspect'>;
const KEYED = ProviderName.options.filter((p) => p !== 'replay' && p !== 'openai-compatible' && p !== 'vscode-lm');
/** Where Airlock's example recording is inside the kernel image (docs/agent.md, "Replay and record in tasks"). */
export const RECORDED_SESSION = '/opt/airlock/examples/sample-project.replay.jsonl';

const models = () => Object.fromEntries(Object.entries(SUGGESTED_MODELS).map(([k, v]) => [k, [...v!]]));

/** Undefined when a task can run; otherwise why not and what the form can start from. */
/** `lmModels`: the ids of VS Code's own language models, when it offers any (the form then offers them too). */
export async function setupNeeded(
  config: Config,
  secrets: Pick<vscode.SecretStorage, 'get'>,
  lmModels: readonly string[] = [],
): Promise<ChatSetup | undefined> {
  const s = readAgentSettings(config);
  // Replay needs no model; VS Code's own models need no key (Select Model offers them only when there are some).
  if (s.provider === 'replay' || s.provider === 'vscode-lm' || (!s.provider && s.replayFile)) return undefined;
  const stored = (await Promise.all(KEYED.map(async (p) => ((await secrets.get(secretKey(p))) ? p : undefined)))).filter(Boolean);
  const known = {
    ...(s.model ? { model: s.model } : {}),
    ...(s.baseUrl ? { baseUrl: s.baseUrl } : {}),
    models: { ...models(), ...(lmModels.length ? { 'vscode-lm': ['auto', ...lmModels.slice(0, 19)] } : {}) },
    ...(lmModels.length ? { vscodeModels: lmModels.slice(0, 50) } : {}),
  };
  if (!s.provider) return stored.length ? undefined : { reason: 'No model is set up yet.', ...known };
  if (s.provider === 'openai-compatible') {
    const reason = 'The OpenAI-compatible provider needs the base URL of your server.';
    return s.baseUrl ? undefined : { reason, provider: s.provider, ...known };
  }
  return stored.includes(s.provider) ? undefined : { reason: `No API key for ${s.provider} yet.`, provider: s.provider, ...known };
}

/** Stores the key in SecretStorage and the choice in the user's settings (never the repository's). */
export async function saveSetup(a: SetupAnswer, config: Config, secrets: vscode.SecretStorage): Promise<string[]> {
  if (a.provider === 'openai-compatible' && !a.baseUrl) {
    throw new AirlockError(
      'CHAT_SETUP_INVALID',
      'a local or OpenAI-compatible server needs its base URL',
      'for example http://127.0.0.1:11434/v1 for Ollama',
    );
  }
  if (a.provider !== 'openai-compatible' && a.provider !== 'vscode-lm' && !a.apiKey && !(await secrets.get(secretKey(a.provider)))) {
    throw new AirlockError(
      'CHAT_SETUP_INVALID',
      `${a.provider} needs an API key`,
      "paste it into the form: it goes to VS Code's secret storage (your OS keychain)",
    );
  }
  if (a.apiKey && a.provider !== 'vscode-lm') await secrets.store(secretKey(a.provider), a.apiKey);
  const user = vscode.ConfigurationTarget.Global;
  await config.update('provider', a.provider, user);
  await config.update('model', a.model || undefined, user);
  if (a.baseUrl) await config.update('baseUrl', a.baseUrl, user);
  return overriddenHere(config);
}

/** Settings the open folder sets itself, which win over the user's: the person is told, nothing is changed there. */
export function overriddenHere(config: Pick<vscode.WorkspaceConfiguration, 'inspect'>): string[] {
  return ['provider', 'model']
    .filter((k) => {
      const i = config.inspect(k);
      return i?.workspaceValue !== undefined || i?.workspaceFolderValue !== undefined;
    })
    .map((k) => `airlock.${k}`);
}

/** Calls `onChange` with the setup state now and whenever the airlock settings or a stored key change. */
export function watchSetup(secrets: vscode.SecretStorage, onChange: (setup: ChatSetup | undefined) => void): IDisposable {
  const store = new DisposableStore();
  let seq = 0;
  const check = () => {
    const mine = ++seq;
    void availableModels(vscodeLm()?.lm)
      .then((lm) =>
        setupNeeded(
          vscode.workspace.getConfiguration('airlock'),
          secrets,
          lm.map((m) => m.id),
        ),
      )
      .then(
        (s) => {
          if (mine === seq) onChange(s);
        },
        () => undefined,
      );
  };
  // A Copilot sign-in (or sign-out) changes what VS Code offers.
  const onModels = Reflect.get(vscode.lm ?? {}, 'onDidChangeChatModels') as vscode.Event<void> | undefined;
  if (onModels) store.add(onModels(check));
  store.add(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('airlock')) check();
    }),
  );
  store.add(
    secrets.onDidChange((e) => {
      if (e.key.startsWith('airlock.apiKey.')) check();
    }),
  );
  check();
  return store;
}
