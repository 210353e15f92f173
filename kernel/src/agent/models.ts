// What Airlock knows per model: context window, tokenizer and list price (USD per million tokens, for cost budgets).

export interface ModelInfo {
  contextWindow: number;
  /** Published tokenizer, when the vendor publishes one; otherwise a calibrated estimate is used. */
  tokenizer?: 'o200k_base' | 'cl100k_base';
  inputPerMTok: number;
  outputPerMTok: number;
}

// Prefix match, longest prefix wins. Prices are list prices at the time of writing: budgets are guards, not invoices.
const TABLE: Array<[prefix: string, info: ModelInfo]> = [
  ['gpt-4o-mini', { contextWindow: 128_000, tokenizer: 'o200k_base', inputPerMTok: 0.15, outputPerMTok: 0.6 }],
  ['gpt-4o', { contextWindow: 128_000, tokenizer: 'o200k_base', inputPerMTok: 2.5, outputPerMTok: 10 }],
  ['gpt-4.1-mini', { contextWindow: 1_047_576, tokenizer: 'o200k_base', inputPerMTok: 0.4, outputPerMTok: 1.6 }],
  ['gpt-4.1', { contextWindow: 1_047_576, tokenizer: 'o200k_base', inputPerMTok: 2, outputPerMTok: 8 }],
  ['gpt-5-mini', { contextWindow: 400_000, tokenizer: 'o200k_base', inputPerMTok: 0.25, outputPerMTok: 2 }],
  ['gpt-5', { contextWindow: 400_000, tokenizer: 'o200k_base', inputPerMTok: 1.25, outputPerMTok: 10 }],
  ['o3', { contextWindow: 200_000, tokenizer: 'o200k_base', inputPerMTok: 2, outputPerMTok: 8 }],
  ['o4-mini', { contextWindow: 200_000, tokenizer: 'o200k_base', inputPerMTok: 1.1, outputPerMTok: 4.4 }],
  ['gpt-4', { contextWindow: 8_192, tokenizer: 'cl100k_base', inputPerMTok: 30, outputPerMTok: 60 }],
  ['gpt-4-turbo', { contextWindow: 128_000, tokenizer: 'cl100k_base', inputPerMTok: 10, outputPerMTok: 30 }],
  ['gpt-3.5-turbo', { contextWindow: 16_385, tokenizer: 'cl100k_base', inputPerMTok: 0.5, outputPerMTok: 1.5 }],
  ['claude-opus', { contextWindow: 200_000, inputPerMTok: 15, outputPerMTok: 75 }],
  ['claude-sonnet', { contextWindow: 200_000, inputPerMTok: 3, outputPerMTok: 15 }],
  ['claude-haiku', { contextWindow: 200_000, inputPerMTok: 1, outputPerMTok: 5 }],
  ['claude-3-5-haiku', { contextWindow: 200_000, inputPerMTok: 0.8, outputPerMTok: 4 }],
  ['gemini-2.5-pro', { contextWindow: 1_048_576, inputPerMTok: 1.25, outputPerMTok: 10 }],
  ['gemini-2.5-flash', { contextWindow: 1_048_576, inputPerMTok: 0.3, outputPerMTok: 2.5 }],
  ['gemini-2.0-flash', { contextWindow: 1_048_576, inputPerMTok: 0.1, outputPerMTok: 0.4 }],
];

/** Unknown models (local ones mostly) get a small window and no price, so budgets still bound tokens and turns. */
export const UNKNOWN_MODEL: ModelInfo = { contextWindow: 32_768, inputPerMTok: 0, outputPerMTok: 0 };

export function modelInfo(model: string, overrides: Partial<ModelInfo> = {}): ModelInfo {
  const m = model.toLowerCase().replace(/^models\//, '');
  let best: [string, ModelInfo] | undefined;
  for (const row of TABLE) if (m.startsWith(row[0]) && (!best || row[0].length > best[0].length)) best = row;
  return { ...(best?.[1] ?? UNKNOWN_MODEL), ...overrides };
}
