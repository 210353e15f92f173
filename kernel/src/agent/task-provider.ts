// Picks a task's model provider: name + model + base URL from task/start, API keys from provider/configure (memory only).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProviderName } from '../../../protocol/src/agent';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import { confinePath, REAL_PATH } from '../../../protocol/src/paths';
import { resolveInWorkspace } from '../workspace/paths';
import { ReplayProvider } from './providers/replay';
import type { IProvider } from './providers/types';
import { type LmBridge, VscodeLmProvider } from './providers/vscode-lm';
import type { WorkerVendor } from './provider-worker/frames';

// Vendor SDKs are loaded on first use: together they are most of the kernel bundle, and loading them at start
// would double the kernel's cold start for sessions that never call them (replay, or one vendor only).
/* eslint-disable @typescript-eslint/no-require-imports */
const anthropic = () => require('./providers/anthropic') as typeof import('./providers/anthropic');
const gemini = () => require('./providers/gemini') as typeof import('./providers/gemini');
const openaiChat = () => require('./providers/openai-chat') as typeof import('./providers/openai-chat');
const openaiCompatible = () => require('./providers/openai-compatible') as typeof import('./providers/openai-compatible');
const openaiResponses = () => require('./providers/openai-responses') as typeof import('./providers/openai-responses');

export interface ProviderSettings {
  apiKey?: string;
  baseUrl?: string;
}

export const DEFAULT_MODELS: Record<ProviderName, string> = {
  openai: 'gpt-4o-mini',
  'openai-responses': 'gpt-4o-mini',
  anthropic: 'claude-sonnet-4-5',
  google: 'gemini-2.5-flash',
  'openai-compatible': 'llama3.1',
  replay: 'replay',
  // The first model VS Code offers (the extension host picks it).
  'vscode-lm': 'auto',
};

const KEY_ENV: Partial<Record<ProviderName, string>> = {
  openai: 'OPENAI_API_KEY',
  'openai-responses': 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  google: 'GEMINI_API_KEY',
};

/** Where bundled examples live in the kernel image (replay files may be read from there by absolute path). */
export function examplesDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.AIRLOCK_EXAMPLES_DIR ?? '/opt/airlock/examples');
}

/** A replay path: workspace-relative (inside the workspace), or absolute under the examples directory. */
export function resolveReplayFile(replay: string, workspace: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!path.isAbsolute(replay)) return resolveInWorkspace(workspace, replay).abs;
  const root = examplesDir(env);
  let real: string;
  try {
    real = fs.realpathSync(replay);
  } catch {
    throw new AirlockError(
      'REPLAY_NOT_FOUND',
      `replay file ${replay} does not exist in the kernel`,
      `give a workspace-relative path, or an absolute path under ${root}`,
    );
  }
  const c = confinePath(root, real, REAL_PATH);
  if (c.type !== 'ok' || !c.segments.length) {
    throw new AirlockError(
      ErrorCodes.PathOutsideWorkspace,
      `replay file ${replay} is outside the workspace and ${root}`,
      'give a workspace-relative path',
    );
  }
  return real;
}

/**
 * The task's provider. With `sandboxed` (what the kernel's tasks use), a real vendor's SDK runs in the task's
 * ai-provider sandbox and the kernel's provider endpoint adds the key (docs/agent.md); without it, in this process.
 */
export function createProvider(
  name: ProviderName,
  o: {
    model: string;
    baseUrl?: string;
    replayFile?: string;
    settings?: ProviderSettings;
    sandboxed?: (vendor: WorkerVendor) => IProvider;
    lm?: { bridge: LmBridge; taskId: string };
  },
): IProvider {
  const apiKey = o.settings?.apiKey;
  const baseURL = o.baseUrl ?? o.settings?.baseUrl;
  const needKey = () => {
    if (apiKey || baseURL) return;
    throw new AirlockError(
      'PROVIDER_NO_KEY',
      `no API key configured for provider ${name}`,
      `set ${KEY_ENV[name] ?? 'the API key variable'} in the environment of \`airlock run\` (it is sent with provider/configure and kept in kernel memory only), or use --replay FILE`,
    );
  };
  switch (name) {
    case 'replay':
      if (!o.replayFile)
        throw new AirlockError(ErrorCodes.BadParams, 'the replay provider needs a replay file', 'pass --replay FILE (task/start `replay`)');
      return ReplayProvider.fromFile(o.replayFile);
    case 'openai':
      needKey();
      return o.sandboxed ? o.sandboxed(name) : new (openaiChat().OpenAIChatProvider)({ apiKey, baseURL });
    case 'openai-responses':
      needKey();
      return o.sandboxed ? o.sandboxed(name) : new (openaiResponses().OpenAIResponsesProvider)({ apiKey, baseURL });
    case 'anthropic':
      needKey();
      return o.sandboxed ? o.sandboxed(name) : new (anthropic().AnthropicProvider)({ apiKey, baseURL });
    case 'google':
      needKey();
      return o.sandboxed ? o.sandboxed(name) : new (gemini().GeminiProvider)({ apiKey, baseURL });
    case 'openai-compatible':
      if (!baseURL)
        throw new AirlockError(
          ErrorCodes.BadParams,
          'openai-compatible needs a base URL',
          'pass --base-url, e.g. http://127.0.0.1:11434/v1 for Ollama',
        );
      return o.sandboxed ? o.sandboxed(name) : openaiCompatible().createOpenAICompatibleProvider({ apiKey, baseURL });
    case 'vscode-lm':
      // VS Code's own models: the turns go to the extension host (`lm` is the kernel's bridge to it, for this task).
      if (!o.lm) throw new AirlockError(ErrorCodes.BadParams, "vscode-lm needs the kernel's bridge to the extension host");
      return new VscodeLmProvider(o.lm.bridge, o.lm.taskId);
    default: {
      const never: never = name;
      throw new AirlockError(ErrorCodes.BadParams, `unknown provider ${String(never)}`);
    }
  }
}
