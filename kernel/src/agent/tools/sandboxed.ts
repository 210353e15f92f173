// Tools that never take the fast path: fs.write / fs.edit go to the task's output volume, exec to a code-executor sandbox.
import { z } from 'zod';
import { AirlockError } from '../../../../protocol/src/errors';
import { defineTool, type ToolContext } from './types';

const RelPath = z.string().min(1).max(4096).describe('path relative to the workspace root');

function needOutput(ctx: ToolContext) {
  if (!ctx.output)
    throw new AirlockError(
      'TOOL_UNAVAILABLE',
      'this task has no output volume, so it cannot write files',
      'start the task in a mode that allows edits',
    );
  return ctx.output;
}

export const fsWrite = defineTool({
  name: 'fs.write',
  native: false,
  capabilities: ['fs.write'],
  description: 'Create or replace a whole file. The write lands in the task output volume and becomes a patch the person reviews.',
  input: z.object({ path: RelPath, content: z.string().max(4 * 1024 * 1024) }),
  paths: (i) => [i.path],
  async run(i, ctx) {
    await needOutput(ctx).write(i.path, i.content, ctx.signal);
    return { content: `wrote ${i.path} (${Buffer.byteLength(i.content)} bytes) to the output volume; it will be proposed as a patch` };
  },
});

export const fsEdit = defineTool({
  name: 'fs.edit',
  native: false,
  capabilities: ['fs.write'],
  description:
    'Replace exactly one occurrence of oldText with newText in a file (or every occurrence with all=true). Lands in the output volume.',
  input: z.object({ path: RelPath, oldText: z.string().min(1), newText: z.string(), all: z.boolean().default(false) }),
  paths: (i) => [i.path],
  async run(i, ctx) {
    const out = needOutput(ctx);
    const current = await out.read(i.path, ctx.signal);
    if (current === undefined) throw new AirlockError('TOOL_EDIT_NO_FILE', `${i.path} does not exist`, 'use fs.write to create a file');
    const count = current.split(i.oldText).length - 1;
    if (count === 0)
      throw new AirlockError(
        'TOOL_EDIT_NO_MATCH',
        `oldText was not found in ${i.path}`,
        'read the file again (fs.read) and copy the text exactly',
      );
    if (count > 1 && !i.all)
      throw new AirlockError(
        'TOOL_EDIT_AMBIGUOUS',
        `oldText occurs ${count} times in ${i.path}`,
        'include more surrounding lines so it is unique, or set all=true',
      );
    const next = i.all ? current.split(i.oldText).join(i.newText) : current.replace(i.oldText, () => i.newText);
    await out.write(i.path, next, ctx.signal);
    return { content: `edited ${i.path}: ${i.all ? count : 1} replacement(s)` };
  },
});

export const exec = defineTool({
  name: 'exec',
  native: false,
  capabilities: ['exec'],
  description:
    'Run a command in the task sandbox (workspace read-only, writes to the output volume, no network unless granted). Returns exit code, stdout and stderr.',
  input: z.object({
    argv: z.array(z.string().max(10_000)).min(1).max(1000),
    cwd: RelPath.optional(),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .max(30 * 60_000)
      .default(120_000),
  }),
  command: (i) => i.argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' '),
  paths: (i) => [i.cwd ?? '.'],
  async run(i, ctx) {
    if (!ctx.sandbox)
      throw new AirlockError(
        'TOOL_UNAVAILABLE',
        'this task has no sandbox, so it cannot run commands',
        'start the task in a mode that allows commands',
      );
    const r = await ctx.sandbox.exec({ argv: i.argv, cwd: i.cwd, timeoutMs: i.timeoutMs }, ctx.signal);
    return {
      content: `exit code ${r.exitCode}${r.timedOut ? ' (timed out)' : ''}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`,
    };
  },
});

export const sandboxedTools = [fsWrite, fsEdit, exec];
