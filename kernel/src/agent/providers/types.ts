// The provider contract: a normalised request in, an async stream of normalised events out, abortable.
import type { ChatMessage, StreamEvent, ToolDefinition } from '../../../../protocol/src/agent';

export interface ProviderRequest {
  model: string;
  system?: string;
  messages: ChatMessage[];
  tools: ToolDefinition[];
  maxOutputTokens?: number;
  temperature?: number;
}

export interface IProvider {
  readonly name: string;
  /**
   * Streams one model turn. Errors before the first event are thrown (so retry can redo the request); errors after
   * some events were produced become an `error` event followed by nothing.
   */
  stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<StreamEvent>;
}

export interface ProviderConfig {
  apiKey?: string;
  baseURL?: string;
  /** Request timeout in ms for the SDK's HTTP calls. */
  timeoutMs?: number;
  /** The SDK's HTTP client (default: Node's fetch); the provider worker's warm-up answers in-process (worker.ts). */
  fetch?: typeof fetch;
}

/** Vendors name tools with a restricted alphabet (no dots for some): map ours to theirs and back. */
export function toVendorToolName(name: string): string {
  return name.replace(/\./g, '__');
}
export function fromVendorToolName(name: string): string {
  return name.replace(/__/g, '.');
}
