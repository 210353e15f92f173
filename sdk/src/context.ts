// What a tool gets besides its input: cancellation, a logger, the workspace (read-only), an output folder whose files
// become part of the task's patch set, and progress. Each refuses what the plugin did not ask for in its manifest.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { PluginCapabilities } from '../../protocol/src/plugin-manifest';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export interface Logger {
  debug(m: string): void;
  info(m: string): void;
  warn(m: string): void;
  error(m: string): void;
}

/** The task's workspace, read-only (paths are workspace-relative; nothing outside it is reachable through this). */
export interface WorkspaceView {
  readonly root: string;
  read(rel: string): Promise<string>;
  readBytes(rel: string): Promise<Buffer>;
  list(rel?: string): Promise<Array<{ name: string; dir: boolean }>>;
  exists(rel: string): Promise<boolean>;
}

/** Files the plugin proposes: they come back in the task's patch set for a person to review, never written directly. */
export interface OutputFolder {
  write(rel: string, content: string): void;
  readonly files: ReadonlyArray<{ path: string; content: string }>;
}

export interface ToolContext {
  /** Aborted when the task or the call is cancelled: stop work and return. */
  signal: AbortSignal;
  log: Logger;
  workspace: WorkspaceView;
  output: OutputFolder;
  /** Reports progress (`done` of `total`); shown while the call runs when the caller asked for it. */
  progress(done: number, total?: number, message?: string): Promise<void>;
  plugin: { name: string; version: string; capabilities: PluginCapabilities };
}

/** Lines a logger writes (to stderr: `airlock plugins logs` shows the last of them), each capped. */
const MAX_LOG_LINE = 2000;
export function stderrLogger(tool: string, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const at = (level: LogLevel) => (m: string) => write(`${level} ${tool}: ${String(m).replace(/\s+/g, ' ').slice(0, MAX_LOG_LINE)}\n`);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export class CapabilityError extends Error {
  readonly code = 'PLUGIN_CAPABILITY';
}

/** Relative, inside the root, no `..`; the real path (symlinks followed) must stay inside too. */
async function inside(root: string, rel: string): Promise<string> {
  if (path.isAbsolute(rel) || rel.split(/[\\/]/).includes('..') || rel.includes('\0'))
    throw new Error(`${rel}: a workspace-relative path without ..`);
  const full = path.join(root, rel);
  const real = await fs.realpath(full);
  const realRoot = await fs.realpath(root);
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) throw new Error(`${rel}: leads outside the workspace`);
  return real;
}

export function workspaceView(root: string | undefined): WorkspaceView {
  const need = (): string => {
    if (!root) throw new CapabilityError('this plugin did not ask for workspace reads (capabilities.reads in its manifest)');
    return root;
  };
  return {
    get root() {
      return root ?? '';
    },
    async read(rel) {
      return fs.readFile(await inside(need(), rel), 'utf8');
    },
    async readBytes(rel) {
      return fs.readFile(await inside(need(), rel));
    },
    async list(rel = '.') {
      const dir = await inside(need(), rel);
      return (await fs.readdir(dir, { withFileTypes: true })).map((e) => ({ name: e.name, dir: e.isDirectory() }));
    },
    async exists(rel) {
      try {
        await inside(need(), rel);
        return true;
      } catch (e) {
        if (e instanceof CapabilityError) throw e;
        return false;
      }
    },
  };
}

export function outputFolder(allowed: boolean): OutputFolder {
  const files: Array<{ path: string; content: string }> = [];
  return {
    files,
    write(rel, content) {
      if (!allowed) throw new CapabilityError('this plugin did not ask for writes (capabilities.writes in its manifest)');
      if (path.isAbsolute(rel) || rel.split(/[\\/]/).includes('..') || rel.includes('\0') || !rel)
        throw new Error(`${rel}: a workspace-relative path without ..`);
      const at = files.findIndex((f) => f.path === rel);
      if (at >= 0) files[at] = { path: rel, content };
      else files.push({ path: rel, content });
    },
  };
}
