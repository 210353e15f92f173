// The provider worker: runs in an ai-provider sandbox (its own bundle, dist/kernel/provider-worker.js). It reads model
// requests from stdin, calls the vendor SDK at the kernel's provider endpoint (which adds the key: this process never
// has it) and writes the normalised events to stdout, one JSON frame a line (frames.ts).
import { AirlockError } from '../../../../protocol/src/errors';
import { AnthropicProvider } from '../providers/anthropic';
import { toProviderError } from '../providers/errors';
import { GeminiProvider } from '../providers/gemini';
import { OpenAIChatProvider } from '../providers/openai-chat';
import { createOpenAICompatibleProvider } from '../providers/openai-compatible';
import { OpenAIResponsesProvider } from '../providers/openai-responses';
import type { IProvider, ProviderConfig } from '../providers/types';
import { type FromWorker, LineSplitter, MAX_WORKER_FRAME, ToWorker, type WorkerVendor } from './frames';
import { socketFetch } from './socket-fetch';
import { warm } from './warm';

/** The SDKs insist on a key; the endpoint drops whatever is sent here and adds the real one. */
const PLACEHOLDER_KEY = 'airlock-placeholder';

function provider(vendor: WorkerVendor, cfg: ProviderConfig & { baseURL: string }): IProvider {
  switch (vendor) {
    case 'openai':
      return new OpenAIChatProvider(cfg);
    case 'openai-responses':
      return new OpenAIResponsesProvider(cfg);
    case 'anthropic':
      return new AnthropicProvider(cfg);
    case 'google':
      return new GeminiProvider(cfg);
    case 'openai-compatible':
      return createOpenAICompatibleProvider(cfg);
    default: {
      const never: never = vendor;
      throw new Error(`unknown vendor ${String(never)}`);
    }
  }
}

function send(f: FromWorker): void {
  process.stdout.write(JSON.stringify(f) + '\n');
}

const running = new Map<string, AbortController>();

async function serve(m: Extract<ToWorker, { t: 'request' }>, baseURL: string, f?: typeof fetch): Promise<void> {
  const abort = new AbortController();
  running.set(m.id, abort);
  try {
    const p = provider(m.vendor, { apiKey: PLACEHOLDER_KEY, baseURL, ...(f ? { fetch: f } : {}) });
    for await (const event of p.stream(m.request, abort.signal)) send({ t: 'event', id: m.id, event });
    send({ t: 'end', id: m.id });
  } catch (err) {
    if (!abort.signal.aborted) send({ t: 'fail', id: m.id, error: toProviderError(err, m.vendor).toPayload() });
  } finally {
    running.delete(m.id);
  }
}

function main(): void {
  // stdout carries frames only: an SDK's stray console.log would break the protocol, so it goes to stderr.
  console.log = console.info = console.debug = console.error;
  const baseURL = process.env.AIRLOCK_PROVIDER_URL;
  if (!baseURL)
    throw new AirlockError('PROVIDER_WORKER_NO_ENDPOINT', 'AIRLOCK_PROVIDER_URL is not set', 'run the worker in an ai-provider sandbox');
  // Every SDK takes the global fetch when its client is made (one per request here): requests to the endpoint's URL go
  // down its socket directly (socket-fetch.ts). Without the socket (an older sandbox wiring) the forwarder serves.
  const socket = process.env.AIRLOCK_PROVIDER_SOCKET || undefined;
  const f = socket ? socketFetch(socket, baseURL, globalThis.fetch.bind(globalThis)) : undefined;
  if (f) globalThis.fetch = f;
  const lines = new LineSplitter(
    MAX_WORKER_FRAME * 16,
    (line) => {
      if (!line.trim()) return;
      const m = ToWorker.parse(JSON.parse(line));
      switch (m.t) {
        case 'request':
          void serve(m, baseURL, f);
          break;
        case 'abort':
          running.get(m.id)?.abort();
          break;
        default: {
          const never: never = m;
          void never;
        }
      }
    },
    () => {
      throw new Error('a request frame is too large');
    },
  );
  process.stdin.on('data', (b: Buffer) => lines.push(b));
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume(); // the loader paused it explicitly, so a listener alone does not restart the flow
  send({ t: 'ready' });
  void warm(socket, PLACEHOLDER_KEY).catch(() => undefined);
}

main();
