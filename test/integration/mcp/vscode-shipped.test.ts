// The MCP server the extension offers to VS Code's agents, as the .vsix ships it: the files `vsce ls` lists (plus the
// copied CLI, only to observe the kernel) copied to a folder unrelated to the checkout, `dist/mcp-serve.js` started the
// way VS Code's definition starts it (Node with ELECTRON_RUN_AS_NODE=1, --workspace, a PATH without the checkout) and
// driven by the MCP SDK's Client over stdio: tools listed, exec in a real sandbox (Docker), a write that becomes a patch
// set the kernel shows, the workspace untouched. The client can ask its person (elicitation), as VS Code's can. The
// session runs in explore mode (airlock.defaultMode explore): strict mode makes a patch set only once the project's
// tests pass (docs/workflow.md), which this empty project has none of.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { assets } from '../../../protocol/src/node/assets';
import { cleanUp, connectNode, copyPackage, runNode, toolText as text, waitForListing } from './shipped-helpers';

describe("dist/mcp-serve.js from the .vsix's files, as VS Code starts it (MCP SDK client, Docker)", function () {
  this.timeout(600_000);
  const root = assets().root;
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock vsix mcp '));
  const pkg = path.join(base, 'an installed extension');
  const ws = path.join(base, 'project');
  const elsewhere = path.join(base, 'somewhere else');
  // What VS Code's definition adds (ELECTRON_RUN_AS_NODE); nothing of the checkout on PATH; no loader options of the test.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ELECTRON_RUN_AS_NODE: '1',
    AIRLOCK_STATE_ROOT: fs.mkdtempSync(path.join(os.tmpdir(), 'alvsmcp-')),
    PATH: (process.env.PATH ?? '')
      .split(path.delimiter)
      .filter((d) => d && !path.resolve(d).startsWith(root))
      .join(path.delimiter),
  };
  delete env.NODE_OPTIONS;
  delete env.NODE_PATH;
  const asked: string[] = [];
  let client: Client;
  let stderr = '';
  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
  const airlock = (args: string[]) => runNode(path.join(pkg, 'dist', 'cli.js'), args, elsewhere, env);

  before(async () => {
    assert.ok(fs.existsSync(path.join(root, 'dist', 'mcp-serve.js')), 'npm run build first');
    const listed = spawnSync('npx', ['vsce', 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' });
    assert.equal(listed.status, 0, listed.stderr);
    const files = listed.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    assert.ok(files.includes('dist/mcp-serve.js'), `the .vsix does not ship dist/mcp-serve.js:\n${files.join('\n')}`);
    assert.ok(!files.includes('dist/cli.js'), 'the .vsix ships the CLI: this test would not show the server needs none');
    copyPackage(pkg, files);
    copyPackage(pkg, ['dist/cli.js']); // the observer below, not used by the server
    fs.mkdirSync(ws);
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(ws, 'a.txt'), 'hello from the workspace\n');
    client = new Client({ name: 'copilot-test', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    // The person, through VS Code: allows what the policy asks about.
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(String(req.params.message));
      return { action: 'accept', content: { decision: 'allow' } };
    });
    const server = path.join(pkg, 'dist', 'mcp-serve.js');
    await connectNode(client, server, ['--workspace', ws, '--mode', 'explore'], elsewhere, env, (c) => {
      stderr += c;
    });
  });

  after(() => cleanUp(client, ws, base));

  it("lists Airlock's tools", async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    for (const n of ['fs_read', 'fs_write', 'fs_edit', 'exec', 'search_grep']) {
      assert.ok(names.includes(n), `${n} in ${names.join(', ')}\n${stderr}`);
    }
  });

  it('exec runs in a sandbox that sees the workspace; its write stays out of the workspace', async () => {
    const r = await call('exec', {
      argv: [
        'node',
        '-e',
        `const fs = require('fs');
      fs.writeFileSync('made-by-exec.txt', 'exec wrote this\\n');
      console.log('sandbox:' + require('os').hostname() + ':' + fs.readFileSync('a.txt', 'utf8').trim())`,
      ],
    });
    assert.notEqual(r.isError, true, `${text(r)}\n${stderr}`);
    const m = /sandbox:(\S+):hello from the workspace/.exec(text(r));
    assert.ok(m, text(r));
    assert.notEqual(m[1], os.hostname(), 'ran on the host');
    assert.ok(!fs.existsSync(path.join(ws, 'made-by-exec.txt')));
  });

  it("fs_write goes to the session's output, not the workspace; a write the policy asks about is asked through the client", async () => {
    const r = await call('fs_write', { path: 'notes/from-copilot.md', content: "# proposed by VS Code's agent\n" });
    assert.notEqual(r.isError, true, `${text(r)}\n${stderr}`);
    assert.deepEqual(asked, []);
    const ci = await call('fs_write', { path: '.github/workflows/ci.yml', content: 'on: push\n' });
    assert.notEqual(ci.isError, true, `${text(ci)}\n${stderr}`);
    assert.equal(asked.length, 1);
    assert.match(asked[0]!, /fs\.write[^]*ci\.yml/);
    assert.deepEqual(fs.readdirSync(ws).sort(), ['a.txt']);
  });

  it('closing the session makes a pending patch set the kernel shows, with the three files; the workspace is unchanged', async () => {
    await client.close();
    const listed = await waitForListing(() => airlock(['review', 'list', '--workspace', ws]), /task_mcp_/);
    const m = /^(\S+)\s+pending\s+3 files.*task task_mcp_\w+/m.exec(listed);
    assert.ok(m, `no pending patch set of the session:\n${listed}\n${stderr}`);
    assert.match(stderr, new RegExp(`review show ${m[1]}`), 'the server named the set it made');
    const shown = await airlock(['review', 'show', m[1], '--diff', '--workspace', ws]);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /notes\/from-copilot\.md[^]*proposed by VS Code's agent/);
    assert.match(shown.stdout, /made-by-exec\.txt[^]*exec wrote this/);
    assert.match(shown.stdout, /\.github\/workflows\/ci\.yml/);
    assert.deepEqual(fs.readdirSync(ws).sort(), ['a.txt']);
    assert.ok(!/Cannot find module|MODULE_NOT_FOUND/.test(stderr), stderr);
  });
});
