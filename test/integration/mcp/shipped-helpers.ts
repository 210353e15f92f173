// Helpers for tests that drive Airlock's shipped MCP server from a copy of the package outside the checkout: the copy,
// the copied CLI as an observer (review, audit), tool results as text, and the workspace's containers removed after.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { removeWorkspaceLeftovers } from '../workspace-leftovers';
import { assets } from '../../../protocol/src/node/assets';

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** What the packaged folder holds besides dist/ (the kernel reads them at the package root). */
export const PACKAGE_FOLDERS = ['dist', 'policies', 'templates/sandbox', 'templates/seccomp', 'examples'];

/** Copies the checkout's files (`files`: paths relative to its root, default PACKAGE_FOLDERS and package.json) to `dest`. */
export function copyPackage(dest: string, files: string[] = [...PACKAGE_FOLDERS, 'package.json']): void {
  const root = assets().root;
  for (const f of files) fs.cpSync(path.join(root, f), path.join(dest, f), { recursive: true });
}

/** Runs `node <cli> args` to its end. */
export function runNode(script: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [script, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '',
      err = '';
    p.stdout.on('data', (c) => {
      out += String(c);
    });
    p.stderr.on('data', (c) => {
      err += String(c);
    });
    p.on('close', (status) => resolve({ status, stdout: out, stderr: err }));
  });
}

export const toolText = (r: CallToolResult): string => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

/** Connects the SDK's client to `node script ...args` over stdio; the server's stderr (its progress) goes to `onStderr`. */
export async function connectNode(
  client: Client,
  script: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  onStderr: (chunk: string) => void,
): Promise<void> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [script, ...args],
    cwd,
    env: env as Record<string, string>,
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (c) => onStderr(String(c)));
  await client.connect(transport);
}

/** Runs `list` (e.g. `airlock review list`) once a second, up to a minute, until its output matches `re`; returns the last. */
export async function waitForListing(list: () => Promise<Ran>, re: RegExp): Promise<string> {
  let out = '';
  for (let i = 0; i < 60 && !re.test(out); i++) {
    out = (await list()).stdout;
    if (!re.test(out)) await new Promise((r) => setTimeout(r, 1000));
  }
  return out;
}

/** after(): the client closed, the workspace's kernel and sandboxes removed, the test's folder deleted. */
export async function cleanUp(client: Client | undefined, ws: string, base: string): Promise<void> {
  await client?.close().catch(() => undefined);
  if (fs.existsSync(ws)) await removeWorkspaceContainers(ws);
  fs.rmSync(base, { recursive: true, force: true });
}

/** Removes the kernel, sandboxes and volumes a test started for `ws`. */
export async function removeWorkspaceContainers(ws: string): Promise<void> {
  await removeWorkspaceLeftovers(ws);
}
