// A node server's package identity checked by the server's own process: a launcher hashes the mounted package and exits
// before the entry loads unless it is the pinned content (one exec and one node start instead of two).
import { AirlockError } from '../../../protocol/src/errors';
import { CONTENT_HASH_SOURCE } from '../../../core/src/mcp/content-hash';

/** Exit codes of the launcher: the package is not the pinned content; it could not be hashed. */
export const IDENTITY_CHANGED_EXIT = 86;
export const IDENTITY_UNREADABLE_EXIT = 87;
/** The line the launcher writes to stderr before it exits (the server's own stderr follows only if it ran). */
const MARK = 'airlock-identity:';

/**
 * `node -e <launcher> <entry> ...args`: the launcher hashes the package, exits unless it is the pinned content, then
 * runs the entry as node would have (the main module, by its absolute path; CommonJS or ES module). Not a `--import`
 * preload: that routes a CommonJS entry through the ES module loader, which lexes the whole bundle for its exports
 * (measured: +0.2-0.5 s for a 1.2 MB bundle). It takes itself out of process.execArgv once the package is verified, so
 * the server's own child node processes start as plain `node`. Nothing of the package has run when it hashes.
 */
export function identityLauncher(dir: string, pinned: string): string {
  if (!/^[0-9a-f]{64}$/.test(pinned))
    throw new AirlockError(
      'MCP_SERVER_IDENTITY',
      `not a sha256 to pin: ${pinned.slice(0, 80)}`,
      '`airlock mcp add` the server again so its package hash is recorded anew',
    );
  return `let got;
try { got = (${CONTENT_HASH_SOURCE})(${JSON.stringify(dir)}); }
catch (e) { process.stderr.write('\\n${MARK} unreadable ' + String(e && e.message).replace(/\\s+/g, ' ').slice(0, 300) + '\\n'); process.exit(${IDENTITY_UNREADABLE_EXIT}); }
if (got !== ${JSON.stringify(pinned)}) { process.stderr.write('\\n${MARK} changed ' + got + '\\n'); process.exit(${IDENTITY_CHANGED_EXIT}); }
const i = process.execArgv.indexOf('-e');
if (i >= 0) process.execArgv.splice(i, 2);
process.argv[1] = require('path').resolve(process.argv[1]);
require('module').runMain();`;
}

/**
 * The argv of `node ...args` with the check in front, or undefined when args do not start with the entry (node options
 * first: they would become the entry's arguments after -e; such a server is checked in an exec of its own).
 */
export function verifiedNodeArgs(dir: string, pinned: string, args: readonly string[]): string[] | undefined {
  if (!args.length || args[0].startsWith('-')) return undefined;
  return ['-e', identityLauncher(dir, pinned), ...args];
}

/** The package is not the content pinned when it was added. */
function changed(server: string, got: string, pinned: string): AirlockError {
  return new AirlockError(
    'MCP_SERVER_CHANGED',
    `the package of MCP server ${server} changed since it was added (sha256 ${got.slice(0, 12)}…, pinned ${pinned.slice(0, 12)}…)`,
    `review the change, then \`airlock mcp add ${server} …\` again to pin the new content`,
  );
}

/** The package could not be hashed (`why` is the hashing process's own words: untrusted, capped). */
function unreadable(server: string, why: string): AirlockError {
  return new AirlockError(
    'MCP_SERVER_IDENTITY',
    `the package of MCP server ${server} could not be hashed: ${why.slice(-500) || 'no reason given'}`,
    'is the install folder readable by you? `airlock mcp add` again reinstalls it',
  );
}

/** The verdict on a hashing exec (CONTENT_HASH_PROGRAM run alone in the sandbox): undefined when it is the pinned content. */
export function hashRefusal(
  server: string,
  pinned: string,
  r: { exitCode: number | null; stdout: string; stderr: string },
): AirlockError | undefined {
  const got = r.stdout.trim();
  if (r.exitCode !== 0 || !/^[0-9a-f]{64}$/.test(got)) return unreadable(server, r.stderr);
  return got === pinned ? undefined : changed(server, got, pinned);
}

/**
 * What the launcher said before the process ended (its stderr is untrusted text from below: only the marker line is
 * read, and the hash must look like one). Undefined when it said nothing: the server itself ran and failed.
 */
export function identityFailure(server: string, pinned: string, stderr: string): AirlockError | undefined {
  const line = stderr
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(MARK));
  if (!line) return undefined;
  const m = /^(\S+)\s*(.*)$/.exec(line.slice(MARK.length).trim());
  const detail = (m?.[2] ?? '').slice(0, 300);
  if (m?.[1] === 'changed' && /^[0-9a-f]{64}$/.test(detail)) return changed(server, detail, pinned);
  return unreadable(server, detail);
}
