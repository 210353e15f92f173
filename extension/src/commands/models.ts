// Models suggested per provider in Select Model and the chat's first-run form (any other name can be typed).
import type { ProviderName } from '../../../protocol/src/agent';

export const SUGGESTED_MODELS: Partial<Record<ProviderName, string[]>> = {
  openai: ['gpt-4.1', 'gpt-4.1-mini', 'o4-mini'],
  'openai-responses': ['gpt-4.1', 'o4-mini'],
  anthropic: ['claude-sonnet-4-0', 'claude-opus-4-0', 'claude-3-5-haiku-latest'],
  google: ['gemini-2.5-pro', 'gemini-2.5-flash'],
  'openai-compatible': ['llama3.1', 'qwen2.5-coder'],
};

/** Local OpenAI-compatible servers and their usual base URLs. */
export const LOCAL_SERVERS = [
  { label: 'Ollama', url: 'http://127.0.0.1:11434/v1' },
  { label: 'llama.cpp server', url: 'http://127.0.0.1:8080/v1' },
  { label: 'vLLM', url: 'http://127.0.0.1:8000/v1' },
  { label: 'LM Studio', url: 'http://127.0.0.1:1234/v1' },
];
