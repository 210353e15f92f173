// Kernel-native read-only tools (no container): fs.read, fs.list, fs.exists, search.grep, search.glob.
import * as fs from 'node:fs';
import picomatch from 'picomatch';
import { z } from 'zod';
import { AirlockError, ErrorCodes } from '../../../../protocol/src/errors';
import { components, kindBeneath, openFileBeneath, readFd, refusal } from '../../workspace/safe-open';
import { grep } from './grep';
import { defineTool, type ToolContext } from './types';
import { withReader, type TreeRoot } from './view';
import { walk } from './walk';

const RelPath = z.string().min(1).max(4096).describe('path relative to the workspace root');
const MAX_READ_BYTES = 256 * 1024;

/** Resolves a directory argument ('.' = root) to a walk start relative to the root of the tree (the workspace, or the
 * task's view of it: a directory the task created counts, one it deleted does not). Lexical only (`a/..` folds without
 * looking at `a`), then checked in the tree without following symlinks: a symlinked directory is refused, not walked. */
function dirRel(root: TreeRoot, p: string | undefined): string {
  const rel = components(p ?? '.').join('/');
  if (!rel) return '';
  withReader(root, (r) => {
    if (!r.isDir(rel)) throw refusal(rel, r.kind(rel), 'directory');
  });
  return rel;
}

/** Throws when the walk's start folder is one the policy hides (listing it would name what it holds). */
function visibleStart(ctx: ToolContext, rel: string): string {
  if (rel && ctx.hidden?.(rel, true))
    throw new AirlockError(
      'POLICY_DENIED',
      `${rel}: the policy hides this folder from the agent`,
      'search or list another folder; what the policy hides (secrets) is not readable in any mode',
    );
  return rel;
}

/** Skips what the policy hides: its files are not yielded, its folders neither yielded nor entered. */
function* visible(ctx: ToolContext, entries: Iterable<{ rel: string; isDir: boolean }>) {
  for (const e of entries) if (!ctx.hidden?.(e.rel, e.isDir)) yield e;
}

/** What grep/glob/list walk: the task's view when it has an output volume, else the workspace. */
function treeOf(ctx: ToolContext): Promise<TreeRoot> | TreeRoot {
  return ctx.output?.view ? ctx.output.view(ctx.signal) : ctx.workspace;
}

export const fsRead = defineTool({
  name: 'fs.read',
  native: true,
  capabilities: ['fs.read'],
  description:
    'Read a text file from the workspace. Optional 1-based inclusive line range. Output lines are prefixed with their line numbers.',
  input: z.object({
    path: RelPath,
    startLine: z.number().int().positive().optional(),
    endLine: z.number().int().positive().optional(),
    maxBytes: z.number().int().positive().max(MAX_READ_BYTES).optional(),
  }),
  paths: (i) => [i.path],
  async run(i, ctx) {
    const rel = components(i.path).join('/');
    // Every component opened through its parent's descriptor, never following a symlink; size and type from fstat.
    const f = openFileBeneath(ctx.workspace, rel);
    const st = { size: f.size };
    const cap = i.maxBytes ?? MAX_READ_BYTES;
    const wantsRange = i.startLine !== undefined || i.endLine !== undefined;
    // A line range may lie beyond the byte cap: read the file (bounded at 16x the cap) and cut by lines instead.
    const readCap = wantsRange ? Math.min(st.size, cap * 16) : Math.min(st.size, cap);
    let buf: Buffer;
    try {
      buf = readFd(f.fd, readCap);
    } finally {
      fs.closeSync(f.fd);
    }
    if (buf.subarray(0, 8192).includes(0)) return { content: `${rel}: binary file (${st.size} bytes), not shown` };
    const lines = buf.toString('utf8').split('\n');
    const from = Math.max(1, i.startLine ?? 1);
    const to = Math.min(lines.length, i.endLine ?? lines.length);
    if (from > lines.length)
      throw new AirlockError('TOOL_BAD_RANGE', `${rel} has ${lines.length} lines; startLine ${from} is past the end`);
    let out = '',
      bytes = 0,
      last = from - 1;
    for (let n = from; n <= to; n++) {
      const l = `${n}\t${lines[n - 1]}\n`;
      if (bytes + l.length > cap) break;
      out += l;
      bytes += l.length;
      last = n;
    }
    const more = last < to || (readCap < st.size && last === lines.length);
    return {
      content: more
        ? `${out}[... ${rel}: showing lines ${from}-${last} (file is ${st.size} bytes); request startLine=${last + 1} to continue ...]`
        : out,
    };
  },
});

export const fsList = defineTool({
  name: 'fs.list',
  native: true,
  capabilities: ['fs.list'],
  description: 'List a workspace directory (directories end with /). Recursive listing respects .gitignore.',
  input: z.object({
    path: RelPath.default('.'),
    recursive: z.boolean().default(false),
    maxEntries: z.number().int().positive().max(10_000).default(500),
  }),
  paths: (i) => [i.path ?? '.'],
  async run(i, ctx) {
    const tree = await treeOf(ctx);
    const start = visibleStart(ctx, dirRel(tree, i.path));
    const out: string[] = [];
    let truncated = false;
    const filterDir = (rel: string) => i.recursive && !ctx.hidden?.(rel, true);
    for (const e of visible(ctx, walk(tree, start, { signal: ctx.signal, filterDir }))) {
      if (out.length >= i.maxEntries) {
        truncated = true;
        break;
      }
      out.push(e.isDir ? `${e.rel}/` : e.rel);
    }
    return { content: out.join('\n') + (truncated ? `\n[... more entries; listing capped at ${i.maxEntries} ...]` : '') };
  },
});

export const fsExists = defineTool({
  name: 'fs.exists',
  native: true,
  capabilities: ['fs.stat'],
  description: 'Tell whether a workspace path exists and whether it is a file or a directory.',
  input: z.object({ path: RelPath }),
  paths: (i) => [i.path],
  async run(i, ctx) {
    const rel = components(i.path).join('/') || '.';
    // Judged on the entry itself: a symlink is reported with its target text (never followed), as is a symlinked parent.
    const k = kindBeneath(ctx.workspace, rel);
    switch (k.type) {
      case 'missing':
        return { content: JSON.stringify({ path: rel, exists: false }) };
      case 'file':
        return { content: JSON.stringify({ path: rel, exists: true, type: 'file', size: k.size }) };
      case 'directory':
        return { content: JSON.stringify({ path: rel, exists: true, type: 'directory' }) };
      case 'symlink':
        return {
          content: JSON.stringify({
            path: k.at ?? rel,
            exists: true,
            type: 'symlink',
            target: k.target,
            note: 'symlinks are never followed',
          }),
        };
      case 'other':
        return { content: JSON.stringify({ path: rel, exists: true, type: 'other', what: k.what }) };
      default: {
        const never: never = k;
        throw new Error(`unknown entry kind ${JSON.stringify(never)}`);
      }
    }
  },
});

export const searchGrep = defineTool({
  name: 'search.grep',
  native: true,
  capabilities: ['fs.read'],
  description:
    'Search file contents with a JavaScript regular expression. Respects .gitignore, skips binary files. Returns path:line:text.',
  input: z.object({
    pattern: z.string().min(1).max(1000),
    path: RelPath.optional(),
    globs: z.array(z.string().max(500)).max(50).optional().describe('e.g. ["*.ts", "!*.test.ts"]'),
    ignoreCase: z.boolean().optional(),
    fixed: z.boolean().optional().describe('treat the pattern as a literal string'),
    maxResults: z.number().int().positive().max(2000).default(200),
  }),
  paths: (i) => [i.path ?? '.'],
  async run(i, ctx) {
    let re: RegExp;
    try {
      re = new RegExp(i.fixed ? '' : i.pattern, 'u');
      void re;
    } catch (err) {
      throw new AirlockError('TOOL_BAD_PATTERN', `invalid regular expression: ${(err as Error).message}`);
    }
    const tree = await treeOf(ctx);
    const r = await grep(tree, { ...i, path: visibleStart(ctx, dirRel(tree, i.path)) || undefined }, ctx.signal);
    // The workers scan the tree; what the policy hides is dropped here, judged per file by the engine's index.
    const shown = ctx.hidden ? r.matches.filter((m) => !ctx.hidden!(m.path, false)) : r.matches;
    const lines = shown.map((m) => `${m.path}:${m.line}:${m.text}`);
    const tail = r.truncated ? `\n[... more matches; capped at ${i.maxResults}. Narrow the pattern, path or globs ...]` : '';
    return { content: (lines.length ? lines.join('\n') : `no matches in ${r.filesSearched} files`) + tail };
  },
});

export const searchGlob = defineTool({
  name: 'search.glob',
  native: true,
  capabilities: ['fs.list'],
  description: 'Find workspace files whose paths match glob patterns (e.g. "src/**/*.ts"). Respects .gitignore.',
  input: z.object({
    patterns: z.array(z.string().min(1).max(500)).min(1).max(50),
    path: RelPath.optional(),
    maxResults: z.number().int().positive().max(10_000).default(500),
  }),
  paths: (i) => [i.path ?? '.'],
  async run(i, ctx) {
    const isMatch = picomatch(i.patterns, { dot: true });
    const out: string[] = [];
    let truncated = false;
    const tree = await treeOf(ctx);
    const filterDir = (rel: string) => !ctx.hidden?.(rel, true);
    for (const e of visible(ctx, walk(tree, visibleStart(ctx, dirRel(tree, i.path)), { signal: ctx.signal, filterDir }))) {
      if (e.isDir || !isMatch(e.rel)) continue;
      if (out.length >= i.maxResults) {
        truncated = true;
        break;
      }
      out.push(e.rel);
    }
    return { content: (out.length ? out.join('\n') : 'no files match') + (truncated ? `\n[... capped at ${i.maxResults} ...]` : '') };
  },
});

export const nativeTools = [fsRead, fsList, fsExists, searchGrep, searchGlob];
