// The Tool Plugin SDK: the example plugin built as its author would, driven over stdio by the official MCP client (as
// the kernel drives it in its sandbox); capabilities the manifest does not ask for are refused inside the plugin.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { definePlugin, defineTool, manifestOf, testPlugin } from '../../../sdk/src/index';
import { PLUGIN_WRITES_META, PluginManifest } from '../../../protocol/src/plugin-manifest';
import { verifyManifest } from '../../../kernel/src/plugins/verify';
import { buildPlugin, HELLO_DIR, REPO } from './example';

describe('Tool Plugin SDK', function () {
  this.timeout(60_000);
  let base: string;
  let built: string;
  let ws: string;
  let client: Client;

  before(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-sdk-'));
    built = await buildPlugin(HELLO_DIR, path.join(base, 'hello'));
    ws = path.join(base, 'ws');
    fs.mkdirSync(ws);
    fs.writeFileSync(path.join(ws, 'a.txt'), 'one\ntwo\n');
    fs.symlinkSync('/etc/hostname', path.join(ws, 'out-link'));
    client = new Client({ name: 'test', version: '0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [path.join(built, 'dist', 'index.js')],
        env: { AIRLOCK_PLUGIN_WORKSPACE: ws, PATH: process.env.PATH ?? '' },
        stderr: 'pipe',
      }),
    );
  });
  after(async () => {
    await client?.close();
    fs.rmSync(base, { recursive: true, force: true });
  });

  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

  it("the example's committed manifest is what the plugin implies, and the kernel accepts it", () => {
    const committed = JSON.parse(fs.readFileSync(path.join(HELLO_DIR, 'airlock-plugin.json'), 'utf8'));
    assert.deepEqual(committed, JSON.parse(fs.readFileSync(path.join(built, 'airlock-plugin.json'), 'utf8')));
    const v = verifyManifest(committed);
    assert.ok(v.ok, v.ok ? '' : v.reason);
  });

  it('serves its tools over stdio with JSON-schema inputs and the manifest as server metadata', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(
      tools.map((t) => t.name),
      ['greet', 'count-lines', 'note'],
    );
    assert.deepEqual(tools[0].inputSchema.required, ['name']);
    assert.equal(client.getServerVersion()?.name, 'hello');
    const airlock = (client.getServerCapabilities()?.experimental as { airlock?: { capabilities?: unknown } })?.airlock;
    assert.deepEqual(airlock?.capabilities, { reads: ['**'], writes: true, exec: [], network: [] });
  });

  it('validates input, reads the workspace view, keeps reads inside it, and returns proposed writes as metadata', async () => {
    assert.equal(text(await call('greet', { name: 'Ada' })), 'Hello, Ada! (from the hello plugin)');
    const bad = await call('greet', { name: 42 });
    assert.equal(bad.isError, true);
    assert.match(text(bad), /invalid input for greet: name/);
    assert.match(text(await call('count-lines', { path: 'a.txt' })), /a\.txt has 2 lines\n\{"path":"a\.txt","lines":2\}/);
    assert.match(text(await call('count-lines', { path: '../../etc/passwd' })), /without \.\./);
    assert.match(text(await call('count-lines', { path: 'out-link' })), /leads outside the workspace/);
    const note = await call('note', { text: 'remember' });
    assert.deepEqual(note._meta?.[PLUGIN_WRITES_META], [{ path: 'NOTES.md', content: '# Notes\n\nremember\n' }]);
  });

  it('refuses what the manifest did not ask for: workspace reads, writes', async () => {
    const sneaky = definePlugin({
      name: 'sneaky',
      version: '0.1.0',
      tools: [
        defineTool({ name: 'peek', description: 'reads', input: z.object({}), run: async (_i, ctx) => ctx.workspace.read('a.txt') }),
        defineTool({
          name: 'drop',
          description: 'writes',
          input: { type: 'object' },
          run: (_i, ctx) => {
            ctx.output.write('x', 'y');
            return 'done';
          },
        }),
      ],
    });
    assert.deepEqual(manifestOf(sneaky).capabilities, { reads: [], writes: false, exec: [], network: [] });
    const p = await testPlugin(sneaky, { workspace: ws });
    try {
      const peek = await p.call('peek');
      assert.ok(peek.isError && /refused: this plugin did not ask for workspace reads/.test(peek.text), peek.text);
      const drop = await p.call('drop');
      assert.ok(drop.isError && /did not ask for writes/.test(drop.text), drop.text);
      assert.deepEqual(drop.writes, []);
      assert.ok(
        p.logs.some((l) => /^error drop: drop failed/.test(l)),
        p.logs.join('\n'),
      );
    } finally {
      await p.close();
    }
  });

  it('a definition the manifest schema refuses is refused by manifestOf', () => {
    assert.throws(() => manifestOf(definePlugin({ name: 'Bad Name', version: '1', tools: [] })), /name|version|tools/);
    assert.ok(
      PluginManifest.safeParse(
        manifestOf(
          definePlugin({
            name: 'ok',
            version: '1.0.0',
            tools: [defineTool({ name: 't', description: '', input: { type: 'object' }, run: () => '' })],
          }),
        ),
      ).success,
    );
  });

  it('imports nothing but protocol/ and its two packages (the SDK is published alone)', () => {
    const dir = path.join(REPO, 'sdk', 'src');
    for (const f of fs.readdirSync(dir)) {
      for (const m of fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/from '([^']+)'/g)) {
        const spec = m[1];
        assert.ok(
          spec.startsWith('./') ||
            spec.startsWith('../../protocol/src/') ||
            spec.startsWith('node:') ||
            spec === 'zod' ||
            spec.startsWith('@modelcontextprotocol/sdk/'),
          `${f} imports ${spec}`,
        );
      }
    }
  });
});
