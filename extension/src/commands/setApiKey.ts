// Airlock: Set API Key — stores a provider's key in VS Code's SecretStorage (OS keychain), never in settings.
import * as vscode from 'vscode';
import { ProviderName } from '../../../protocol/src/agent';

export const secretKey = (provider: ProviderName) => `airlock.apiKey.${provider}`;

export function setApiKey(secrets: vscode.SecretStorage) {
  return async (providerArg?: string): Promise<boolean> => {
    const current = ProviderName.safeParse(vscode.workspace.getConfiguration('airlock').get('provider'));
    const arg = ProviderName.safeParse(providerArg);
    const provider = arg.success
      ? arg.data
      : ((
          await vscode.window.showQuickPick(
            ProviderName.options
              .filter((p) => p !== 'replay')
              .map((p) => ({ label: p, description: current.success && current.data === p ? '(selected provider)' : '' })),
            { title: 'Airlock: Set API Key — provider' },
          )
        )?.label as ProviderName | undefined);
    if (!provider) return false;
    const key = await vscode.window.showInputBox({
      title: `Airlock: API key for ${provider}`,
      password: true,
      ignoreFocusOut: true,
      prompt: "Stored in VS Code's secret storage (your OS keychain). Leave empty to delete it.",
    });
    if (key === undefined) return false;
    if (key.trim() === '') {
      await secrets.delete(secretKey(provider));
      void vscode.window.showInformationMessage(
        `Airlock: removed the ${provider} key from secret storage. A running kernel forgets it when it restarts (Airlock: Restart Kernel).`,
      );
      return true;
    }
    await secrets.store(secretKey(provider), key.trim());
    void vscode.window.showInformationMessage(`Airlock: saved the ${provider} key in secret storage; the kernel gets it in memory only.`);
    return true;
  };
}
