// Token counting: the vendor's published tokenizer where there is one (OpenAI's BPE), else an estimate calibrated on usage.
import type { ChatMessage } from '../../../protocol/src/agent';
import type { ModelInfo } from './models';

export interface ITokenCounter {
  readonly exact: boolean;
  count(text: string): number;
  /** Feeds back what the vendor reported for a request we estimated, so the estimate converges on the real tokenizer. */
  calibrate(estimated: number, actual: number): void;
}

/** Per-message framing overhead (role markers etc.), as in OpenAI's published counting recipe. */
const MESSAGE_OVERHEAD = 4;

type Encoder = { countTokens(text: string): number };
const encoders = new Map<string, Encoder>();
function encoder(name: 'o200k_base' | 'cl100k_base'): Encoder {
  let e = encoders.get(name);
  if (!e) {
    // Loaded on first use: the BPE ranks are a few MB and most tasks never need the second encoding.
    /* eslint-disable @typescript-eslint/no-require-imports -- lazy loads, each a few MB */
    e =
      name === 'o200k_base'
        ? (require('gpt-tokenizer/encoding/o200k_base') as Encoder)
        : (require('gpt-tokenizer/encoding/cl100k_base') as Encoder);
    /* eslint-enable @typescript-eslint/no-require-imports */
    encoders.set(name, e);
  }
  return e;
}

export class BpeCounter implements ITokenCounter {
  readonly exact = true;
  constructor(private readonly encoding: 'o200k_base' | 'cl100k_base') {}
  count(text: string): number {
    return text ? encoder(this.encoding).countTokens(text) : 0;
  }
  calibrate(): void {}
}

/**
 * Estimate for vendors without a published tokenizer (Anthropic, Gemini, local models). Starts at ~3.2 characters per
 * token (measured on source code with o200k; code tokenises denser than prose) and a 10% safety margin, then moves
 * towards the ratio the vendor's own usage reports show (exponential moving average).
 */
export class EstimatingCounter implements ITokenCounter {
  readonly exact = false;
  private factor = 1.1;
  constructor(private readonly charsPerToken = 3.2) {}
  count(text: string): number {
    return Math.ceil((text.length / this.charsPerToken) * this.factor);
  }
  calibrate(estimated: number, actual: number): void {
    if (estimated < 200 || actual <= 0) return; // tiny requests are dominated by framing noise
    const observed = (actual / estimated) * this.factor * 1.05; // keep a 5% margin above what we saw
    this.factor = Math.min(3, Math.max(0.5, this.factor * 0.7 + observed * 0.3));
  }
  get currentFactor(): number {
    return this.factor;
  }
}

export function counterFor(info: ModelInfo): ITokenCounter {
  return info.tokenizer ? new BpeCounter(info.tokenizer) : new EstimatingCounter();
}

export const IMAGE_TOKENS = 1600;

export function countMessage(c: ITokenCounter, m: ChatMessage): number {
  switch (m.role) {
    // An image is counted at a typical vendor's price for a ~1 megapixel picture: no tokenizer sees pixels.
    case 'user':
      return MESSAGE_OVERHEAD + c.count(m.content) + (m.images?.length ?? 0) * IMAGE_TOKENS;
    case 'assistant':
      return MESSAGE_OVERHEAD + c.count(m.content) + m.toolCalls.reduce((n, t) => n + c.count(t.name) + c.count(t.arguments) + 3, 0);
    case 'tool':
      return MESSAGE_OVERHEAD + c.count(m.content) + 2;
    default: {
      const never: never = m;
      return never;
    }
  }
}
