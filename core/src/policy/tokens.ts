// Capability tokens: HMAC-signed, scoped to subject + action + resource pattern, expiring, single-use by nonce.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { AirlockError } from '../../../protocol/src/errors';
import { resourceKind } from './actions';
import { compileResourcePattern, type ResourceMatcher } from './glob';

const PREFIX = 'al1.';
const MAX_TOKEN_LENGTH = 4096;
const PATTERN_CACHE_MAX = 1024;

export const TokenClaims = z.object({
  iss: z.string().min(1).max(64),
  sub: z.string().min(3).max(300),
  act: z.string().min(1).max(128),
  res: z.string().min(1).max(1024),
  exp: z.number().int(),
  n: z.number().int().positive(),
});
export type TokenClaims = z.infer<typeof TokenClaims>;

export interface TokenScope {
  subject: string;
  action: string;
  resource: string;
  absolute: boolean;
}
export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: string };

export interface TokenServiceOptions {
  issuer?: string;
  now?: () => number;
  /** Where the issuer's nonce counter persists, so nonces stay monotonic across processes. */
  counterFile?: string;
  /** Refuse this issuer's tokens minted before now (a restarted kernel cannot know which were used). */
  rejectEarlier?: boolean;
}

export class TokenService {
  readonly issuer: string;
  private counter: number;
  /** The counter when this service was created: nonces at or below it were minted by an earlier process. */
  private readonly firstCounter: number;
  private readonly now: () => number;
  /** Per issuer: nonces at or below `floor` are stale; `used` holds consumed nonces (pruned at expiry). */
  private readonly seen = new Map<string, { floor: number; used: Map<number, number> }>();
  private readonly patterns = new Map<string, ResourceMatcher>();

  constructor(
    private readonly key: Buffer,
    private readonly opts: TokenServiceOptions = {},
  ) {
    if (key.length < 32)
      throw new AirlockError('POLICY_TOKEN_KEY', 'token key is shorter than 32 bytes', 'delete the key file to have a new one generated');
    this.issuer = opts.issuer ?? 'kernel';
    this.now = opts.now ?? Date.now;
    this.counter = opts.counterFile ? readCounter(opts.counterFile) : 0;
    this.firstCounter = this.counter;
    if (opts.rejectEarlier) this.rejectBefore(this.counter);
  }

  /**
   * The one service per key file and issuer in this process (one key, one nonce store): every caller shares its
   * counter and its record of used nonces, so a token consumed through one engine is a replay through any other.
   * `rejectEarlier` from any opener refuses the tokens minted before the first open (by an earlier process).
   */
  static openKeyFile(file: string, opts: Omit<TokenServiceOptions, 'counterFile'> = {}): TokenService {
    const key = readOrCreateKey(file);
    const id = `${path.resolve(file)}\0${opts.issuer ?? 'kernel'}`;
    let service = byKeyFile.get(id);
    // The same file with another key (deleted and regenerated) is another service: its tokens never verify here.
    if (!service || !service.key.equals(key)) {
      service = new TokenService(key, { ...opts, counterFile: file + '.nonce' });
      byKeyFile.set(id, service);
    }
    if (opts.rejectEarlier) service.rejectBefore(service.firstCounter);
    return service;
  }

  /** Forgets the shared service of a key file, as a process exit would (tests that simulate a restart). */
  static closeKeyFile(file: string): void {
    const prefix = `${path.resolve(file)}\0`;
    for (const id of [...byKeyFile.keys()]) if (id.startsWith(prefix)) byKeyFile.delete(id);
  }

  /** Own tokens with a nonce at or below `n` are stale (used ones stay used). */
  private rejectBefore(n: number): void {
    const seen = this.seen.get(this.issuer);
    if (!seen) this.seen.set(this.issuer, { floor: n, used: new Map() });
    else seen.floor = Math.max(seen.floor, n);
  }

  issue(scope: { subject: string; action: string; resource: string; ttlMs: number }): string {
    if (!resourceKind(scope.action)) throw new AirlockError('POLICY_TOKEN_SCOPE', `unknown action ${scope.action}`);
    if (!(scope.ttlMs > 0)) throw new AirlockError('POLICY_TOKEN_SCOPE', 'token lifetime must be positive');
    this.counter++;
    if (this.opts.counterFile) fs.writeFileSync(this.opts.counterFile, String(this.counter) + '\n', { mode: 0o600 });
    const claims: TokenClaims = {
      iss: this.issuer,
      sub: scope.subject,
      act: scope.action,
      res: scope.resource,
      exp: this.now() + scope.ttlMs,
      n: this.counter,
    };
    const body = PREFIX + Buffer.from(JSON.stringify(TokenClaims.parse(claims))).toString('base64url');
    return body + '.' + this.sign(body).toString('base64url');
  }

  /** O(1) in the number of rules and tokens: one HMAC, one map lookup, one compiled-pattern test. */
  verify(token: string, scope: TokenScope): TokenCheck {
    if (token.length > MAX_TOKEN_LENGTH || !token.startsWith(PREFIX)) return { ok: false, reason: 'token is malformed' };
    const dot = token.lastIndexOf('.');
    if (dot <= PREFIX.length) return { ok: false, reason: 'token is malformed' };
    const body = token.slice(0, dot);
    const sig = Buffer.from(token.slice(dot + 1), 'base64url');
    const want = this.sign(body);
    if (sig.length !== want.length || !timingSafeEqual(sig, want))
      return { ok: false, reason: 'token signature is invalid (forged or another key)' };
    let claims: TokenClaims;
    try {
      claims = TokenClaims.parse(JSON.parse(Buffer.from(body.slice(PREFIX.length), 'base64url').toString('utf8')));
    } catch {
      return { ok: false, reason: 'token claims are malformed' };
    }
    if (claims.exp <= this.now()) return { ok: false, reason: `token expired at ${new Date(claims.exp).toISOString()}` };
    const seen = this.seen.get(claims.iss);
    if (seen && (claims.n <= seen.floor || seen.used.has(claims.n)))
      return { ok: false, reason: `token was already used (replay of nonce ${claims.n} from ${claims.iss})` };
    if (claims.sub !== scope.subject) return { ok: false, reason: `token is scoped to ${claims.sub}, not ${scope.subject}` };
    if (claims.act !== scope.action) return { ok: false, reason: `token is scoped to action ${claims.act}, not ${scope.action}` };
    if (!this.pattern(claims.act, claims.res).test(scope.resource, scope.absolute))
      return {
        ok: false,
        reason: `token is scoped to ${JSON.stringify(claims.res)}, which does not cover ${JSON.stringify(scope.resource.slice(0, 200))}`,
      };
    return { ok: true, claims };
  }

  /** Marks a token used; later presentations are replays. */
  consume(claims: TokenClaims): void {
    let seen = this.seen.get(claims.iss);
    if (!seen) this.seen.set(claims.iss, (seen = { floor: 0, used: new Map() }));
    seen.used.set(claims.n, claims.exp);
    if (seen.used.size > 4096) {
      const now = this.now();
      for (const [n, exp] of seen.used) if (exp <= now) seen.used.delete(n);
    }
  }

  private sign(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }

  private pattern(action: string, res: string): ResourceMatcher {
    const k = action + '\0' + res;
    let m = this.patterns.get(k);
    if (!m) {
      try {
        m = compileResourcePattern(resourceKind(action) ?? 'name', res);
      } catch {
        m = { prefix: [], test: () => false };
      }
      if (this.patterns.size >= PATTERN_CACHE_MAX) this.patterns.clear();
      this.patterns.set(k, m);
    }
    return m;
  }
}

const byKeyFile = new Map<string, TokenService>();

/** Reads the key file (0600), creating a fresh random key if it does not exist. */
function readOrCreateKey(file: string): Buffer {
  try {
    return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new AirlockError('POLICY_TOKEN_KEY', `cannot read token key ${file}: ${(e as Error).message}`);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const key = randomBytes(32);
    try {
      fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (w) {
      // Another process created it a moment ago: use that one.
      if ((w as NodeJS.ErrnoException).code === 'EEXIST') return readOrCreateKey(file);
      throw w;
    }
    return key;
  }
}

function readCounter(file: string): number {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}
