// Finding tool plugins on the host (docs/plugins.md): the workspace's `.airlock/plugins/<name>/`, the person's plugins
// folder beside the user config, and the built-ins; each folder's manifest (size-capped, untrusted: the kernel
// validates it) and content hash, and the person's approvals (name → approved content hash), kept beside them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { AirlockError } from '../../../protocol/src/errors';
import type { PluginCandidate, PluginSource } from '../../../protocol/src/methods/plugins';
import { MAX_MANIFEST_BYTES, PLUGIN_MANIFEST_FILE, PluginName } from '../../../protocol/src/plugin-manifest';
import { userConfigFile } from '../config/resolve';
import { contentHash } from '../mcp/content-hash';
import { readPrivateJson, writePrivateJson } from '../private-json';

/** `<config dir>/plugins/`: added plugins in `<name>/`, approvals in `approvals.json`. */
export function userPluginsDir(env: NodeJS.ProcessEnv): string {
  return path.join(path.dirname(userConfigFile(env)), 'plugins');
}
export const workspacePluginsDir = (workspace: string) => path.join(workspace, '.airlock', 'plugins');

const Approval = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), approvedAt: z.string() }).strict();
const ApprovalsFile = z.object({ approvals: z.record(PluginName, Approval).default({}) }).strict();
export type Approvals = Record<string, z.infer<typeof Approval>>;

export function readApprovals(env: NodeJS.ProcessEnv): Approvals {
  return (
    readPrivateJson(
      path.join(userPluginsDir(env), 'approvals.json'),
      ApprovalsFile,
      (why) => new AirlockError('PLUGIN_APPROVALS_INVALID', why, 'fix or delete it'),
    )?.approvals ?? {}
  );
}

/** Written whole through a temp file and a rename, readable by the person only. */
export function writeApprovals(env: NodeJS.ProcessEnv, approvals: Approvals): void {
  writePrivateJson(path.join(userPluginsDir(env), 'approvals.json'), { approvals });
}

/** The manifest as JSON, or null when the file is missing, too big or not JSON (the kernel then refuses it with why). */
export function readManifest(dir: string): unknown {
  const file = path.join(dir, PLUGIN_MANIFEST_FILE);
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile() || st.size > MAX_MANIFEST_BYTES) return null;
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

export interface Found {
  candidates: PluginCandidate[];
  skipped: string[];
}

/**
 * Every plugin folder of the three sources. A name found twice keeps the first of: the person's folder, built-ins,
 * the workspace (a repository cannot shadow what the person installed); the others are reported as skipped.
 */
export function discoverPlugins(o: { workspace: string; env: NodeJS.ProcessEnv; builtinDir?: string }): Found {
  const approvals = readApprovals(o.env);
  const sources: Array<[PluginSource, string | undefined]> = [
    ['user', userPluginsDir(o.env)],
    ['builtin', o.builtinDir],
    ['workspace', workspacePluginsDir(o.workspace)],
  ];
  const seen = new Set<string>();
  const candidates: PluginCandidate[] = [];
  const skipped: string[] = [];
  for (const [source, dir] of sources) {
    if (!dir || !fs.existsSync(dir)) continue;
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!e.isDirectory()) continue; // symlinked folders are not followed: what runs is what is there
      const folder = path.join(dir, e.name);
      const manifest = readManifest(folder);
      const name = (manifest as { name?: unknown } | null)?.name;
      const key = typeof name === 'string' ? name : e.name;
      if (seen.has(key)) {
        skipped.push(`${source} plugin ${key} (${folder}): a plugin of that name was found first`);
        continue;
      }
      seen.add(key);
      const sha256 = contentHash(folder);
      const approved = typeof name === 'string' ? approvals[name]?.sha256 : undefined;
      candidates.push({ source, dir: folder, manifest, sha256, ...(approved ? { approved } : {}) });
    }
  }
  return { candidates, skipped };
}
