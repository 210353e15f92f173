// Tool definitions (tools/types.ts toDefinition): each input's JSON schema is made once and handed out as a copy.
import { strict as assert } from 'node:assert';
import { z } from 'zod';
import { nativeTools } from '../../../kernel/src/agent/tools/native';
import { sandboxedTools } from '../../../kernel/src/agent/tools/sandboxed';
import { defineTool, toDefinition } from '../../../kernel/src/agent/tools/types';

describe('agent tool definitions', () => {
  it("give each tool its input's JSON schema (no $schema), the same every time, and each caller its own copy", () => {
    for (const t of [...nativeTools, ...sandboxedTools]) {
      const fresh = z.toJSONSchema(t.input, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
      delete fresh.$schema;
      const a = toDefinition(t);
      assert.deepEqual(a.inputSchema, fresh, t.name);
      // A caller that changes what it got (a provider adapting a schema) changes nothing for the next task.
      (a.inputSchema as { properties?: Record<string, unknown> }).properties = { changed: true };
      a.inputSchema.extra = 1;
      assert.deepEqual(toDefinition(t).inputSchema, fresh, `${t.name} after a caller changed its copy`);
    }
  });

  it("keeps a tool's own inputSchema (an MCP server's), copied", () => {
    const own = { type: 'object', properties: { q: { type: 'string' } }, $schema: 'x' };
    const t = defineTool({
      name: 'mcp.x',
      description: 'd',
      input: z.object({}),
      inputSchema: own,
      capabilities: [],
      native: true,
      run: async () => ({ content: '' }),
    });
    const d = toDefinition(t);
    assert.deepEqual(d.inputSchema, { type: 'object', properties: { q: { type: 'string' } } });
    assert.equal(own.$schema, 'x', "the tool's own schema is not changed");
  });
});
