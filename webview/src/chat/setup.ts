// The chat's first-run form: provider, model, API key (to SecretStorage), base URL for local servers, or a recorded session.
import type { ChatSetup, SetupAnswer, SetupProvider } from '../../../protocol/src/webview';
import { SetupProvider as Providers } from '../../../protocol/src/webview';
import { escapeHtml } from '../shared/markdown';

type ValueEl = HTMLElement & { value: string };

const LABELS: Record<SetupProvider, string> = {
  openai: 'OpenAI (Chat Completions)',
  'openai-responses': 'OpenAI (Responses API)',
  anthropic: 'Anthropic',
  google: 'Google Gemini',
  'openai-compatible': 'Local or OpenAI-compatible server (Ollama, llama.cpp, vLLM, LM Studio)',
  'vscode-lm': "VS Code's language models (e.g. your Copilot subscription's; no key)",
};

/** The form's markup for `setup` (empty string: no form); `folded` (the session has a transcript): one line to open. */
export function renderSetup(setup: ChatSetup | undefined, folded = false): string {
  if (!setup) return '';
  const chosen = setup.provider ?? (setup.vscodeModels?.length ? 'vscode-lm' : 'openai');
  const options = Providers.options
    .filter((p) => p !== 'vscode-lm' || setup.vscodeModels?.length)
    .map((p) => `<option value="${p}"${p === chosen ? ' selected' : ''}>${escapeHtml(LABELS[p])}</option>`)
    .join('');
  return `<details${folded ? '' : ' open'}><summary><h2 id="setup-title">Set up a model</h2></summary>
<p class="setup-why">${escapeHtml(setup.reason)} Your choice is saved in your user settings (not this repository's);
the key goes to VS Code's secret storage.</p>
<label for="setup-provider">Provider</label>
<select id="setup-provider" class="native-select" aria-label="Provider">${options}</select>
<label for="setup-model">Model</label>
<vscode-textfield id="setup-model" aria-label="Model" value="${escapeHtml(setup.model ?? '')}"></vscode-textfield>
<div class="setup-hint" id="setup-models"></div>
<div id="setup-key-row"><label for="setup-key">API key</label>
<vscode-textfield id="setup-key" type="password" aria-label="API key (stored in VS Code's secret storage)">
</vscode-textfield></div>
<div id="setup-url-row"><label for="setup-url">Base URL</label>
<vscode-textfield id="setup-url" aria-label="Base URL of the server" placeholder="http://127.0.0.1:11434/v1"
 value="${escapeHtml(setup.baseUrl ?? '')}"></vscode-textfield></div>
<div class="actions"><vscode-button id="setup-save">Save and start</vscode-button>
<vscode-button id="setup-try" secondary title="Replays Airlock's example recording: no model or key needed">
Try it with a recorded session</vscode-button></div>
</details>`;
}

/** Shows the fields the chosen provider needs and its suggested models. */
export function syncSetup(root: HTMLElement, setup: ChatSetup): void {
  // Before the select element is upgraded its value is empty: the form starts from the known provider.
  const provider = (root.querySelector<ValueEl>('#setup-provider')?.value ||
    setup.provider ||
    (setup.vscodeModels?.length ? 'vscode-lm' : 'openai')) as SetupProvider;
  const local = provider === 'openai-compatible';
  root.querySelector<HTMLElement>('#setup-url-row')!.hidden = !local;
  root.querySelector<HTMLElement>('#setup-key-row')!.hidden = provider === 'vscode-lm';
  root.querySelector<HTMLElement>('#setup-key')!.setAttribute('placeholder', local ? 'optional for local servers' : 'required');
  const models = setup.models[provider] ?? [];
  root.querySelector<HTMLElement>('#setup-models')!.textContent = models.length
    ? `For example: ${models.join(', ')} (empty: the provider's default)`
    : '';
}

/** What the form says, or why it cannot be sent yet. */
export function readSetup(root: HTMLElement): { answer: SetupAnswer } | { error: string } {
  const v = (id: string) => (root.querySelector<ValueEl>(`#${id}`)?.value ?? '').trim();
  const provider = Providers.safeParse(v('setup-provider'));
  if (!provider.success) return { error: 'Choose a provider.' };
  const local = provider.data === 'openai-compatible';
  const baseUrl = local ? v('setup-url') : '';
  if (local && !/^https?:\/\/\S+$/.test(baseUrl)) return { error: "Enter the server's base URL, for example http://127.0.0.1:11434/v1." };
  const answer: SetupAnswer = {
    provider: provider.data,
    ...(v('setup-model') ? { model: v('setup-model') } : {}),
    ...(v('setup-key') && provider.data !== 'vscode-lm' ? { apiKey: v('setup-key') } : {}),
    ...(baseUrl ? { baseUrl } : {}),
  };
  return { answer };
}
