// Airlock: Select Model / Provider — writes airlock.provider, airlock.model (and a base URL) to the user's settings.
import * as vscode from 'vscode';
import { ProviderName } from '../../../protocol/src/agent';
import { overriddenHere } from '../chat/onboarding';
import { LOCAL_SERVERS, SUGGESTED_MODELS } from './models';
import { availableModels } from '../lm/lmAdapter';
import { vscodeLm } from '../lm/lmService';

export function selectModel() {
  return async (): Promise<void> => {
    const config = vscode.workspace.getConfiguration('airlock');
    // VS Code's own language models are offered only when this VS Code has some (e.g. a Copilot subscription's).
    const api = vscodeLm();
    const lmModels = await availableModels(api?.lm);
    const offered = ProviderName.options.filter((p) => p !== 'vscode-lm' || lmModels.length > 0);
    const provider = (
      await vscode.window.showQuickPick(
        offered.map((p) => ({
          label: p,
          description: config.get('provider') === p ? '(current)' : p === 'vscode-lm' ? "VS Code's language models" : '',
        })),
        { title: 'Airlock: Select Provider' },
      )
    )?.label as ProviderName | undefined;
    if (!provider) return;
    const suggested = provider === 'vscode-lm' ? ['auto', ...lmModels.map((m) => m.id)] : (SUGGESTED_MODELS[provider] ?? []);
    const items = [
      ...suggested.map((m) => ({ label: m, description: lmModels.find((x) => x.id === m)?.name ?? '' })),
      { label: 'Other…', alwaysShow: true },
    ];
    let model = (await vscode.window.showQuickPick(items, { title: `Airlock: Select Model for ${provider}` }))?.label;
    if (model === 'Other…') model = await vscode.window.showInputBox({ title: 'Model name', value: config.get<string>('model') ?? '' });
    if (model === undefined) return;
    const baseUrl = provider === 'openai-compatible' ? await askBaseUrl(config.get<string>('baseUrl')) : undefined;
    if (provider === 'openai-compatible' && !baseUrl) return;
    // The person's choice, for every folder: the user's settings, never the repository's .vscode/settings.json.
    const user = vscode.ConfigurationTarget.Global;
    await config.update('provider', provider, user);
    await config.update('model', model.trim() || undefined, user);
    if (baseUrl) await config.update('baseUrl', baseUrl, user);
    const here = overriddenHere(config);
    const note = here.length ? ` This folder's settings set ${here.join(' and ')}, which win here.` : '';
    const what = `${provider}${model.trim() ? ` / ${model.trim()}` : ''}${baseUrl ? ` at ${baseUrl}` : ''}`;
    void vscode.window.showInformationMessage(`Airlock will use ${what}.${note}`);
  };
}

/** The server's base URL: a known local server's, or typed (validated as an http(s) URL). */
async function askBaseUrl(current: string | undefined): Promise<string | undefined> {
  const picks = [
    ...LOCAL_SERVERS.map((x) => ({ label: x.label, description: x.url })),
    { label: 'Other URL…', description: current ?? '' },
  ];
  const pick = await vscode.window.showQuickPick(picks, { title: 'Airlock: Where does the OpenAI-compatible server listen?' });
  if (!pick) return undefined;
  if (pick.label !== 'Other URL…') return pick.description;
  const typed = await vscode.window.showInputBox({
    title: 'Base URL (OpenAI-compatible API)',
    value: current ?? 'http://127.0.0.1:11434/v1',
    validateInput: (v) => (/^https?:\/\/\S+$/.test(v.trim()) ? undefined : 'an http:// or https:// URL, e.g. http://127.0.0.1:11434/v1'),
  });
  return typed?.trim() || undefined;
}
