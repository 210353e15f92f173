// OpenAI-compatible local servers (Ollama, llama.cpp, vLLM, LM Studio): the Chat Completions adapter at another base URL.
import { OpenAIChatProvider } from './openai-chat';
import type { ProviderConfig } from './types';

/** Default base URLs of the well-known local servers (all speak /v1/chat/completions). */
export const LOCAL_BASE_URLS = {
  ollama: 'http://127.0.0.1:11434/v1',
  'llama.cpp': 'http://127.0.0.1:8080/v1',
  vllm: 'http://127.0.0.1:8000/v1',
  'lm-studio': 'http://127.0.0.1:1234/v1',
} as const;

export function createOpenAICompatibleProvider(cfg: ProviderConfig & { baseURL: string }): OpenAIChatProvider {
  // Local servers rarely need a key; the SDK insists on one, so a placeholder is sent when none is configured.
  return new OpenAIChatProvider({ ...cfg, apiKey: cfg.apiKey ?? 'local' }, 'openai-compatible');
}
