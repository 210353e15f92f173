// hello: an example Airlock tool plugin (docs/plugin-sdk.md). `greet` answers; `count-lines` reads the workspace;
// `note` proposes a file, which reaches the person as part of the task's patch set.
import { z } from 'zod';
import { definePlugin, defineTool, runPlugin } from '@airlock/plugin-sdk';

const greet = defineTool({
  name: 'greet',
  description: 'Greets someone by name',
  input: z.object({ name: z.string().min(1).max(100) }),
  run: ({ name }) => `Hello, ${name}! (from the hello plugin)`,
});

const countLines = defineTool({
  name: 'count-lines',
  description: 'Counts the lines of a workspace file',
  input: z.object({ path: z.string().min(1) }),
  async run({ path }, ctx) {
    ctx.log.info(`counting ${path}`);
    const text = await ctx.workspace.read(path);
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    return { text: `${path} has ${lines} lines`, data: { path, lines } };
  },
});

const note = defineTool({
  name: 'note',
  description: 'Proposes a NOTES.md with the given text (you review it as a patch)',
  input: z.object({ text: z.string().max(10_000) }),
  async run({ text }, ctx) {
    await ctx.progress(1, 1, 'writing NOTES.md');
    ctx.output.write('NOTES.md', `# Notes\n\n${text}\n`);
    return 'proposed NOTES.md';
  },
});

export const plugin = definePlugin({
  name: 'hello',
  version: '1.0.0',
  description: 'An example plugin: greets, counts lines of a workspace file, proposes a notes file',
  capabilities: { reads: ['**'], writes: true },
  tools: [greet, countLines, note],
});

if (require.main === module) void runPlugin(plugin);
