// Built-in plugin `git-tool` (docs/plugins.md): git status, diff, log, blame and show against the task's read-only
// workspace, in its own sandbox. It has no tool that changes the repository: commits are a person's merge, never the agent's.
import { z } from 'zod';
import { definePlugin, defineTool, runPlugin, type ToolContext } from '../../../sdk/src/index';
import { runCommand } from '../shared/run';

const MAX_BYTES = 4 * 1024 * 1024;
const TIMEOUT_MS = 60_000;

/** A revision as git spells one (no leading `-`: it would be read as an option). */
const Rev = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._/~^@{}+-]+$/, 'a revision (sha, branch, tag, HEAD~2, a..b)')
  .refine((r) => !r.startsWith('-'), 'a revision does not start with -');
/** A workspace-relative path (after `--`, so never an option; no `..`). */
const RelPath = z
  .string()
  .min(1)
  .max(1024)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\0'), 'a workspace-relative path without ..');

/**
 * The workspace is someone else's files, mounted read-only: trust it for reading, never take a lock, never page. Its
 * own .git/config may name programs (an fsmonitor hook, a pager, hooks, transports): these settings, given like `-c`,
 * win over it. Filter drivers named by .gitattributes cannot be switched off this way; what they run stays in this
 * sandbox (no network, read-only workspace), the boundary every plugin has.
 */
const OVERRIDES: Array<[string, string]> = [
  ['safe.directory', '*'],
  ['core.fsmonitor', 'false'],
  ['core.hooksPath', '/dev/null'],
  ['core.pager', 'cat'],
  ['protocol.allow', 'never'],
  ['core.sshCommand', 'false'],
  ['diff.external', ''],
];
export const GIT_ENV: Record<string, string> = {
  GIT_CONFIG_COUNT: String(OVERRIDES.length),
  ...Object.fromEntries(
    OVERRIDES.flatMap(([k, v], i) => [
      [`GIT_CONFIG_KEY_${i}`, k],
      [`GIT_CONFIG_VALUE_${i}`, v],
    ]),
  ),
  GIT_OPTIONAL_LOCKS: '0',
  GIT_PAGER: 'cat',
  PAGER: 'cat',
  GIT_TERMINAL_PROMPT: '0',
  GIT_NO_REPLACE_OBJECTS: '1',
};

/** Runs `git <args>` in the workspace; a non-zero exit is the tool's error, with git's own message. */
export async function git(ctx: ToolContext, args: string[]): Promise<string> {
  const root = ctx.workspace.root;
  if (!root) throw new Error('git-tool has no workspace (capabilities.reads)');
  const r = await runCommand(['git', '--no-pager', ...args], {
    cwd: root,
    signal: ctx.signal,
    timeoutMs: TIMEOUT_MS,
    maxBytes: MAX_BYTES,
    env: GIT_ENV,
  });
  if (r.timedOut) throw new Error(`git ${args[0]} did not finish within ${TIMEOUT_MS / 1000} s`);
  if (r.exitCode !== 0) throw new Error(`git ${args[0]} failed (exit ${r.exitCode}): ${r.stderr.trim().slice(-2000)}`);
  return r.truncated ? `${r.stdout}\n[output cut at ${MAX_BYTES} bytes]` : r.stdout;
}

const paths = (p?: string) => (p ? ['--', p] : []);

const status = defineTool({
  name: 'status',
  description: "The working tree's status: branch, staged, changed and untracked files (git status --porcelain)",
  input: z.object({}),
  async run(_i, ctx) {
    const out = await git(ctx, ['status', '--porcelain=v1', '--branch', '--untracked-files=normal']);
    const [head, ...rest] = out.split('\n').filter(Boolean);
    const files = rest.map((l) => ({ status: l.slice(0, 2), path: l.slice(3) }));
    return { text: out || '(clean)', data: { branch: head?.replace(/^## /, ''), files } };
  },
});

const diff = defineTool({
  name: 'diff',
  description: 'A diff: the working tree against the index (default), the index against HEAD (staged), or between revisions',
  input: z.object({
    rev: Rev.optional().describe('a revision or range, e.g. HEAD~1 or main..HEAD'),
    staged: z.boolean().default(false),
    path: RelPath.optional(),
    stat: z.boolean().default(false).describe('only the changed files and line counts'),
  }),
  async run(i, ctx) {
    const out = await git(ctx, [
      'diff',
      '--no-ext-diff',
      '--no-textconv',
      '--no-color',
      ...(i.stat ? ['--stat'] : []),
      ...(i.staged ? ['--cached'] : []),
      ...(i.rev ? [i.rev] : []),
      ...paths(i.path),
    ]);
    return out || '(no differences)';
  },
});

const SEP = '\x1f';
const log = defineTool({
  name: 'log',
  description: 'Commits, newest first (sha, author, date, subject), optionally of one path or revision range',
  input: z.object({ rev: Rev.optional(), path: RelPath.optional(), max: z.number().int().min(1).max(500).default(20) }),
  async run(i, ctx) {
    const out = await git(ctx, [
      'log',
      '--no-color',
      `--max-count=${i.max}`,
      `--format=%H${SEP}%an${SEP}%aI${SEP}%s`,
      ...(i.rev ? [i.rev] : []),
      ...paths(i.path),
    ]);
    const commits = out
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [sha, author, date, subject] = l.split(SEP);
        return { sha, author, date, subject };
      });
    const text = commits.map((c) => `${c.sha.slice(0, 12)} ${c.date.slice(0, 10)} ${c.author}: ${c.subject}`).join('\n');
    return { text: text || '(no commits)', data: { commits } };
  },
});

const blame = defineTool({
  name: 'blame',
  description: 'Who last changed each line of a file (commit, author, line), optionally of a line range or at a revision',
  input: z.object({
    path: RelPath,
    rev: Rev.optional(),
    start: z.number().int().min(1).optional(),
    end: z.number().int().min(1).optional(),
  }),
  async run(i, ctx) {
    const range = i.start ? [`-L${i.start},${i.end ?? ''}`] : [];
    const out = await git(ctx, ['blame', '--line-porcelain', ...range, ...(i.rev ? [i.rev] : []), '--', i.path]);
    const lines = parseBlame(out);
    const text = lines.map((l) => `${l.sha.slice(0, 8)} (${l.author} ${l.date}) ${l.line}: ${l.text}`).join('\n');
    return { text, data: { lines } };
  },
});

/** `git blame --line-porcelain`: a header per line (`<sha> <orig> <final> [n]`, then `key value` lines), then `\t<text>`. */
export function parseBlame(out: string): Array<{ line: number; sha: string; author: string; date: string; text: string }> {
  const lines: Array<{ line: number; sha: string; author: string; date: string; text: string }> = [];
  let cur: { line: number; sha: string; author: string; date: string } | undefined;
  for (const l of out.split('\n')) {
    const head = /^([0-9a-f]{40}) \d+ (\d+)/.exec(l);
    if (head) {
      cur = { sha: head[1], line: Number(head[2]), author: '', date: '' };
      continue;
    }
    if (!cur) continue;
    if (l.startsWith('author ')) cur.author = l.slice(7);
    else if (l.startsWith('author-time ')) cur.date = new Date(Number(l.slice(12)) * 1000).toISOString().slice(0, 10);
    else if (l.startsWith('\t')) {
      lines.push({ ...cur, text: l.slice(1) });
      cur = undefined;
    }
  }
  return lines;
}

const show = defineTool({
  name: 'show',
  description: 'A commit (message and patch), or a file as it was at a revision when a path is given',
  input: z.object({ rev: Rev.default('HEAD'), path: RelPath.optional(), stat: z.boolean().default(false) }),
  async run(i, ctx) {
    if (i.path) return git(ctx, ['show', '--no-ext-diff', '--no-textconv', `${i.rev}:${i.path}`]);
    return git(ctx, ['show', '--no-ext-diff', '--no-textconv', '--no-color', ...(i.stat ? ['--stat'] : []), i.rev, '--']);
  },
});

export const plugin = definePlugin({
  name: 'git-tool',
  version: '1.0.0',
  description: "Read-only git for the agent: status, diff, log, blame, show. It never commits: commits are a person's merge.",
  capabilities: { reads: ['**'], exec: ['git status *', 'git diff *', 'git log *', 'git blame *', 'git show *'] },
  tools: [status, diff, log, blame, show],
});

if (require.main === module) void runPlugin(plugin);
