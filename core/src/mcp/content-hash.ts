// The identity of an installed MCP server package: one sha256 over its whole folder, computed the same way on the host
// (when `airlock mcp add` pins it) and inside the server's sandbox (before every start, over what the server will run).

/**
 * sha256 over every entry under a folder, in byte order of their relative paths: kind, path, executable bit, size and
 * content for files, the target for symlinks. Plain JavaScript source (one function expression) so that the very same
 * text runs on the host and, through the exec agent, in the sandbox.
 */
export const CONTENT_HASH_SOURCE = String.raw`(function contentHash(root) {
  const fs = require('fs'), path = require('path'), h = require('crypto').createHash('sha256');
  const walk = (rel) => {
    const names = fs.readdirSync(path.join(root, rel)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const n of names) {
      const r = rel ? rel + '/' + n : n, full = path.join(root, r), st = fs.lstatSync(full);
      if (st.isSymbolicLink()) h.update('l\0' + r + '\0' + fs.readlinkSync(full) + '\0');
      else if (st.isDirectory()) { h.update('d\0' + r + '\0'); walk(r); }
      else if (st.isFile()) { h.update('f\0' + r + '\0' + (st.mode & 0o111 ? 'x' : '-') + '\0' + st.size + '\0'); h.update(fs.readFileSync(full)); }
      else h.update('o\0' + r + '\0');
    }
  };
  walk('');
  return h.digest('hex');
})`;

/** The hash of a folder on this machine. */
export function contentHash(root: string): string {
  // The same source runs inside the sandbox (through the exec agent), so host and sandbox hash identically.
  const make = new Function('require', `return ${CONTENT_HASH_SOURCE}`) as (r: NodeJS.Require) => (root: string) => string;
  const fn = make(require);
  return fn(root);
}

/** A node program printing the hash of the folder given as its argument (run in the sandbox by the exec agent). */
export const CONTENT_HASH_PROGRAM = `process.stdout.write(${CONTENT_HASH_SOURCE}(process.argv[1]))`;
