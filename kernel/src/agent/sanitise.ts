// Output sanitiser: redacts secrets (known key formats, private keys, secret env values), strips ANSI/control chars, caps size.

/** Known secret formats. Ordered: more specific first, so a key is labelled by its most precise kind. */
export const SECRET_PATTERNS: ReadonlyArray<{ kind: string; re: RegExp }> = [
  {
    kind: 'private-key',
    re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)/g,
  },
  { kind: 'anthropic-key', re: /\bsk-ant-[A-Za-z0-9_-]{20,}/g },
  { kind: 'openai-key', re: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g },
  { kind: 'google-api-key', re: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: 'github-token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { kind: 'gitlab-token', re: /\bglpat-[A-Za-z0-9_-]{20,}\b/g },
  { kind: 'aws-access-key-id', re: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g },
  { kind: 'aws-secret-key', re: /(?<=aws_secret_access_key\s*[=:]\s*["']?)[A-Za-z0-9/+=]{40}\b/gi },
  { kind: 'slack-token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { kind: 'stripe-key', re: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b/g },
  { kind: 'npm-token', re: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: 'huggingface-token', re: /\bhf_[A-Za-z0-9]{30,}\b/g },
  { kind: 'jwt', re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { kind: 'bearer-token', re: /(?<=\bAuthorization:\s*Bearer\s+)[A-Za-z0-9._~+/=-]{16,}/gi },
  { kind: 'url-credentials', re: /(?<=[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]{3,}(?=@)/gi },
];

/** Env var names whose values are treated as secrets unless configured otherwise. */
export const SECRET_ENV_NAME = /(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?|PRIVATE)(?:_|$)/i;

// CSI (ESC [ ... final), OSC (ESC ] ... BEL|ST), other two-byte ESC sequences, then C0/C1 controls except \t and \n.
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export interface SanitiseOptions {
  /** Literal secret values (API keys handed to the kernel, values of env vars marked secret). */
  secretValues?: Iterable<string>;
  /** Maximum characters kept (default 256 KiB); the rest is cut with a note. */
  maxChars?: number;
}

export interface Sanitised {
  text: string;
  redactions: number;
  truncated: boolean;
}

export class Sanitiser {
  private values: string[] = [];
  private valuesRe?: RegExp;
  readonly maxChars: number;

  constructor(opts: SanitiseOptions = {}) {
    this.maxChars = opts.maxChars ?? 256 * 1024;
    for (const v of opts.secretValues ?? []) this.addSecret(v);
  }

  /** Registers a secret value to redact wherever it appears (too-short values would redact noise and are ignored). */
  addSecret(value: string): void {
    if (!value || value.length < 6 || this.values.includes(value)) return;
    this.values.push(value);
    // Longest first so a secret that contains another is redacted whole.
    const sorted = [...this.values].sort((a, b) => b.length - a.length);
    this.valuesRe = new RegExp(sorted.map(escapeRe).join('|'), 'g');
  }

  /** Adds the values of env vars whose names look secret, plus any names listed explicitly. */
  addSecretEnv(env: NodeJS.ProcessEnv, extraNames: string[] = []): void {
    for (const [k, v] of Object.entries(env)) if (v && (SECRET_ENV_NAME.test(k) || extraNames.includes(k))) this.addSecret(v);
  }

  sanitise(input: string): Sanitised {
    let redactions = 0;
    let text = input.replace(ANSI, '').replace(/\r\n?/g, '\n').replace(CONTROL, '');
    if (this.valuesRe)
      text = text.replace(this.valuesRe, () => {
        redactions++;
        return '[REDACTED:secret-value]';
      });
    for (const { kind, re } of SECRET_PATTERNS) {
      text = text.replace(re, () => {
        redactions++;
        return `[REDACTED:${kind}]`;
      });
    }
    let truncated = false;
    if (text.length > this.maxChars) {
      const cut = text.length - this.maxChars;
      text = `${text.slice(0, this.maxChars)}\n[... ${cut} more characters cut by Airlock's size cap ...]`;
      truncated = true;
    }
    return { text, redactions, truncated };
  }

  /** Sanitises every string inside a JSON-like value (audit payloads, tool inputs shown in the UI). */
  sanitiseValue<T>(value: T, depth = 0): T {
    if (typeof value === 'string') return this.sanitise(value).text as T;
    if (depth > 32 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return (value as unknown[]).map((v) => this.sanitiseValue(v, depth + 1)) as T;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.sanitiseValue(v, depth + 1)])) as T;
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
