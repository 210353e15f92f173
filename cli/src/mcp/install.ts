// `airlock mcp add --npm`: the package installed on this machine, as the person, without its install scripts; its
// folder's content hash pinned (checked again in the sandbox before each start), and the command that runs its bin.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { AirlockError } from '../../../protocol/src/errors';
import { contentHash } from '../../../core/src/mcp/content-hash';

/** Where the sandbox sees the install folder (kernel/src/mcp/server.ts MCP_PACKAGE_DIR). */
const IN_SANDBOX = '/mcp/pkg';

/** `@scope/name@1.2.3` → `@scope/name`. */
export function packageName(spec: string): string {
  const at = spec.lastIndexOf('@');
  return at > 0 ? spec.slice(0, at) : spec;
}

export async function npmInstall(spec: string, dir: string): Promise<{ sha256: string; command: string; args: string[] }> {
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(@[\w.^~<>=*-]+)?$/i.test(spec)) {
    throw new AirlockError(
      'MCP_BAD_PACKAGE',
      `${JSON.stringify(spec)} is not an npm package name (with an optional @version)`,
      'for example @modelcontextprotocol/server-filesystem@2025.8.21',
    );
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  try {
    await promisify(execFile)('npm', ['install', '--prefix', dir, '--ignore-scripts', '--no-audit', '--no-fund', '--omit=dev', spec], {
      timeout: 10 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new AirlockError(
      'MCP_INSTALL_FAILED',
      `npm install ${spec} failed: ${(err.stderr || err.message).trim().split('\n').slice(-3).join(' ')}`,
      'check the name and version, and that npm reaches its registry',
    );
  }
  const name = packageName(spec);
  const pj = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')) as {
    bin?: string | Record<string, string>;
  };
  const bins = typeof pj.bin === 'string' ? { [name]: pj.bin } : (pj.bin ?? {});
  const short = name.split('/').pop()!;
  const bin = bins[short] ?? Object.values(bins)[0];
  if (!bin)
    throw new AirlockError('MCP_NO_BIN', `${name} declares no executable ("bin" in its package.json)`, 'give the command with --command');
  return { sha256: contentHash(dir), command: 'node', args: [path.posix.join(IN_SANDBOX, 'node_modules', name, bin)] };
}
