// The built-in plugins this Airlock shipped (dist/plugins/<name>/, in the bundle and the kernel image): the content hash
// of the kernel's own copy of each, the only content a built-in is pre-approved at (docs/plugins.md, "Built-ins").
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PluginName } from '../../../protocol/src/plugin-manifest';
import { contentHash } from '../../../core/src/mcp/content-hash';

/** A lookup name → sha256 over `dir` (hashed once per name, on first use); undefined for a name not shipped there. */
export function shippedBuiltins(dir: string | undefined): (name: string) => string | undefined {
  const cache = new Map<string, string | undefined>();
  return (name) => {
    if (!dir || !PluginName.safeParse(name).success) return undefined;
    if (!cache.has(name)) {
      const folder = path.join(dir, name);
      let sha: string | undefined;
      try {
        sha = fs.lstatSync(folder).isDirectory() ? contentHash(folder) : undefined;
      } catch {
        sha = undefined;
      }
      cache.set(name, sha);
    }
    return cache.get(name);
  };
}
