// Where the e2e tier finds its tools (code-server, Chromium), keeps temp dirs and writes artifacts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'test-artifacts', 'e2e');
const SETUP_HINT = 'run `bash scripts/setup-e2e.sh` (as root) to install code-server and Chromium';

/** code-server installed by scripts/setup-e2e.sh; AIRLOCK_CODE_SERVER overrides the binary. */
export function codeServerBinary(env = process.env): string {
  const bin =
    env.AIRLOCK_CODE_SERVER ?? path.join(env.AIRLOCK_E2E_HOME ?? '/opt/airlock-e2e', 'code-server', 'node_modules', '.bin', 'code-server');
  if (!fs.existsSync(bin)) throw new AirlockError('E2E_NO_CODE_SERVER', `code-server is not installed at ${bin}`, SETUP_HINT);
  return bin;
}

/** Debian's Chromium; AIRLOCK_CHROMIUM overrides it. */
export function chromiumBinary(env = process.env): string {
  const bin = env.AIRLOCK_CHROMIUM ?? '/usr/bin/chromium';
  if (!fs.existsSync(bin)) throw new AirlockError('E2E_NO_CHROMIUM', `Chromium is not installed at ${bin}`, SETUP_HINT);
  return bin;
}

/** A fresh directory under the OS temp dir; realpath'd, because the kernel labels containers with real paths. */
export function tempDir(prefix: string): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `airlock-e2e-${prefix}-`)));
}

/** A workspace folder holding the given files (relative path → content). */
export function makeWorkspace(files: Record<string, string>, prefix = 'ws'): string {
  const dir = tempDir(prefix);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns a value other than undefined, or throws with the last seen state. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new AirlockError(
        'E2E_TIMEOUT',
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
      );
    await sleep(intervalMs);
  }
}
