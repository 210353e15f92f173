// Airlock: Select Model / Provider — writes airlock.provider and airlock.model (workspace or user settings).
import * as vscode from 'vscode';
import { ProviderName } from '../../../protocol/src/agent';

const SUGGESTED: Partial<Record<ProviderName, string[]>> = {
  openai: ['gpt-4.1', 'gpt-4.1-mini', 'o4-mini'],
  'openai-responses': ['gpt-4.1', 'o4-mini'],
  anthropic: ['claude-sonnet-4-0', 'claude-opus-4-0', 'claude-3-5-haiku-latest'],
  google: ['gemini-2.5-pro', 'gemini-2.5-flash'],
};

export function selectModel() {
  return async (): Promise<void> => {
    const config = vscode.workspace.getConfiguration('airlock');
    const provider = (await vscode.window.showQuickPick(ProviderName.options.map((p) => ({ label: p, description: config.get('provider') === p ? '(current)' : '' })), { title: 'Airlock: Select Provider' }))?.label as ProviderName | undefined;
    if (!provider) return;
    const items = [...(SUGGESTED[provider] ?? []).map((m) => ({ label: m })), { label: 'Other…', alwaysShow: true }];
    let model = (await vscode.window.showQuickPick(items, { title: `Airlock: Select Model for ${provider}` }))?.label;
    if (model === 'Other…') model = await vscode.window.showInputBox({ title: 'Model name', value: config.get<string>('model') ?? '' });
    if (model === undefined) return;
    const target = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await config.update('provider', provider, target);
    await config.update('model', model.trim(), target);
    void vscode.window.showInformationMessage(`Airlock will use ${provider}${model.trim() ? ` / ${model.trim()}` : ''}.`);
  };
}
