// Runs a rule's TypeScript predicate in Deno with no permissions, a time limit and a V8 heap limit.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { assets } from '../../../protocol/src/node/assets';

export interface PredicateOptions {
  timeoutMs?: number;
  memoryMb?: number;
  denoPath?: string;
}

export type PredicateResult = { ok: true; value: boolean } | { ok: false; reason: string };

export const DEFAULT_PREDICATE_TIMEOUT_MS = 5000;
export const DEFAULT_PREDICATE_MEMORY_MB = 64;
const MAX_OUTPUT = 64 * 1024;

/** The Deno binary the asset resolver found; empty when this layout ships none (every predicate then fails closed). */
export function defaultDenoPath(): string {
  return assets().deno ?? '';
}

function command(modulePath: string, request: unknown, o: PredicateOptions) {
  const marker = 'AIRLOCK_' + randomBytes(12).toString('hex') + ':';
  // The wrapper arrives on stdin; the predicate cannot see the marker, so it cannot forge an answer line.
  const source = [
    `import predicate from ${JSON.stringify(pathToFileURL(modulePath).href)};`,
    `const answer = await predicate(${JSON.stringify(request)});`,
    `console.log(${JSON.stringify(marker)} + JSON.stringify({ answer: answer === undefined ? null : answer }));`,
  ].join('\n');
  const args = [
    'run',
    '--no-prompt',
    '--no-config',
    '--no-lock',
    '--no-remote',
    '--no-npm',
    '--quiet',
    `--v8-flags=--max-old-space-size=${o.memoryMb ?? DEFAULT_PREDICATE_MEMORY_MB}`,
    '-',
  ];
  const env = { PATH: '/usr/bin:/bin', NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DENO_DIR: path.join(os.tmpdir(), 'airlock-deno-cache') };
  return { bin: o.denoPath ?? defaultDenoPath(), args, env, source, marker };
}

function interpret(
  stdout: string,
  stderr: string,
  status: number | null,
  timedOut: boolean,
  marker: string,
  o: PredicateOptions,
): PredicateResult {
  if (timedOut) return { ok: false, reason: `timed out after ${o.timeoutMs ?? DEFAULT_PREDICATE_TIMEOUT_MS} ms` };
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(marker));
  if (status !== 0 || !line) {
    const lines = stderr.trim().split('\n').filter(Boolean);
    const why = lines.find((l) => /^(error|uncaught)/i.test(l)) ?? lines[lines.length - 1] ?? `exit ${status}`;
    return { ok: false, reason: `crashed: ${why.slice(0, 300)}` };
  }
  let answer: unknown;
  try {
    answer = (JSON.parse(line.slice(marker.length)) as { answer: unknown }).answer;
  } catch {
    return { ok: false, reason: 'answer was not readable' };
  }
  if (typeof answer !== 'boolean') return { ok: false, reason: `answered ${JSON.stringify(answer)?.slice(0, 100)}, not a boolean` };
  return { ok: true, value: answer };
}

/** Blocking form, for the synchronous evaluate(): only used when a rule that names a predicate is reached. */
const NO_DENO: PredicateResult = { ok: false, reason: 'Deno is not shipped with this installation, so no predicate can run' };

export function runPredicateSync(modulePath: string, request: unknown, o: PredicateOptions = {}): PredicateResult {
  const c = command(modulePath, request, o);
  if (!c.bin) return NO_DENO;
  const r = spawnSync(c.bin, c.args, {
    input: c.source,
    env: c.env,
    timeout: o.timeoutMs ?? DEFAULT_PREDICATE_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: MAX_OUTPUT,
    encoding: 'utf8',
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT' && (r.error as NodeJS.ErrnoException).code !== 'ENOBUFS')
    return { ok: false, reason: `could not start deno: ${r.error.message}` };
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT' || r.signal === 'SIGKILL';
  return interpret(r.stdout ?? '', r.stderr ?? '', r.status, timedOut, c.marker, o);
}

export function runPredicate(
  modulePath: string,
  request: unknown,
  o: PredicateOptions = {},
  signal?: AbortSignal,
): Promise<PredicateResult> {
  const c = command(modulePath, request, o);
  if (!c.bin) return Promise.resolve(NO_DENO);
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve({ ok: false, reason: 'cancelled' });
    const child = spawn(c.bin, c.args, { env: c.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    const kill = () => child.kill('SIGKILL');
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, o.timeoutMs ?? DEFAULT_PREDICATE_TIMEOUT_MS);
    signal?.addEventListener('abort', kill, { once: true });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      if (out.length > MAX_OUTPUT) kill();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < MAX_OUTPUT) err += d.toString('utf8');
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `could not start deno: ${e.message}` });
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
      if (signal?.aborted) return resolve({ ok: false, reason: 'cancelled' });
      resolve(interpret(out, err, status, timedOut, c.marker, o));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(c.source);
  });
}
