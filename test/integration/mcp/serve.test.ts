// `airlock mcp serve` driven by the MCP SDK's own Client over stdio: the shipped dist/cli.js, copied to a folder
// unrelated to the checkout, serves a real kernel's tools (Docker): schemas listed, reads, a policy denial (audited as
// the client), exec in a real sandbox whose write lands in the patch set, and fs_write; the workspace stays as it was
// until a person accepts and merges the patch set that closing the session produced.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { assets } from '../../../protocol/src/node/assets';
import { cleanUp, connectNode, copyPackage, runNode, toolText as text, waitForListing } from './shipped-helpers';

describe('airlock mcp serve (MCP SDK client, shipped CLI, Docker)', function () {
  this.timeout(600_000);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock mcp '));
  const pkg = path.join(base, 'an unrelated folder');
  const ws = path.join(base, 'project');
  const elsewhere = path.join(base, 'somewhere else');
  const env: NodeJS.ProcessEnv = { ...process.env, AIRLOCK_STATE_ROOT: fs.mkdtempSync(path.join(os.tmpdir(), 'almcp-')) };
  const cli = () => path.join(pkg, 'dist', 'cli.js');
  let client: Client;
  let stderr = '';

  const airlock = (args: string[]) => runNode(cli(), args, elsewhere, env);
  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
  const wsFiles = () => fs.readdirSync(ws).sort();

  before(async () => {
    const root = assets().root;
    assert.ok(fs.existsSync(path.join(root, 'dist', 'cli.js')), 'node scripts/build.mjs first');
    copyPackage(pkg);
    fs.mkdirSync(ws);
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(ws, 'a.txt'), 'hello from the workspace\n');
    fs.writeFileSync(path.join(ws, '.env'), 'API_TOKEN=do-not-read-me\n');
    client = new Client({ name: 'airlock-test', version: '1.0.0' });
    await connectNode(client, cli(), ['mcp', 'serve', '--workspace', ws, '--mode', 'explore'], elsewhere, env, (c) => {
      stderr += c;
    });
  });

  after(() => cleanUp(client, ws, base));

  it('lists the tools with their JSON schemas (names an MCP client accepts)', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    for (const n of ['fs_read', 'fs_list', 'fs_exists', 'search_grep', 'search_glob', 'fs_write', 'fs_edit', 'exec', 'workflow_status']) {
      assert.ok(names.includes(n), `${n} in ${names.join(', ')}\n${stderr}`);
    }
    for (const n of names) assert.match(n, /^[a-zA-Z0-9_-]{1,64}$/);
    const read = tools.find((t) => t.name === 'fs_read')!;
    assert.equal(read.inputSchema.type, 'object');
    assert.deepEqual((read.inputSchema.required as string[]).sort(), ['path']);
    assert.equal((read.inputSchema.properties as Record<string, { type?: string }>).path.type, 'string');
    const exec = tools.find((t) => t.name === 'exec')!;
    assert.ok((exec.inputSchema.properties as Record<string, unknown>).argv);
  });

  it('reads a workspace file', async () => {
    const r = await call('fs_read', { path: 'a.txt' });
    assert.notEqual(r.isError, true, text(r));
    assert.match(text(r), /hello from the workspace/);
  });

  it('a read the policy denies (.env) is an MCP error result, and the secret never leaves', async () => {
    const r = await call('fs_read', { path: '.env' });
    assert.equal(r.isError, true);
    assert.match(text(r), /POLICY_DENIED/);
    assert.doesNotMatch(text(r), /do-not-read-me/);
  });

  it('exec runs in a sandbox that sees the workspace; what it writes does not reach the workspace', async () => {
    const r = await call('exec', {
      argv: [
        'node',
        '-e',
        `const fs = require('fs'); fs.writeFileSync('made-by-exec.txt', 'exec wrote this\\n');
      console.log('sandbox:' + require('os').hostname() + ':' + fs.readFileSync('a.txt', 'utf8').trim())`,
      ],
    });
    assert.notEqual(r.isError, true, text(r));
    const m = /sandbox:(\S+):hello from the workspace/.exec(text(r));
    assert.ok(m, text(r));
    assert.notEqual(m[1], os.hostname(), 'ran on the host');
    assert.ok(!fs.existsSync(path.join(ws, 'made-by-exec.txt')));
    const seen = await call('fs_read', { path: 'made-by-exec.txt' });
    assert.match(text(seen), /exec wrote this/, "reads see the session's own changes");
  });

  it('fs_write goes to the output volume, not the workspace', async () => {
    const r = await call('fs_write', { path: 'notes/new.md', content: '# written through MCP\n' });
    assert.notEqual(r.isError, true, text(r));
    assert.deepEqual(wsFiles(), ['.env', 'a.txt']);
  });

  it('a call the policy marks ask is refused with the reason when the client cannot ask its person', async () => {
    const r = await call('fs_write', { path: '.github/workflows/ci.yml', content: 'on: push\n' });
    assert.equal(r.isError, true);
    assert.match(text(r), /POLICY_DENIED[^]*cannot ask its person/);
  });

  it('closing the session (stdin EOF) makes a patch set; accept + merge applies it; the calls are audited as mcp:airlock-test', async () => {
    await client.close();
    const listed = await waitForListing(() => airlock(['review', 'list', '--workspace', ws]), /task_mcp_/);
    const m = /^(\S+)\s+pending\s+2 files.*task (task_mcp_\w+)/m.exec(listed);
    assert.ok(m, `no pending patch set of the session:\n${listed}\n${stderr}`);
    const [, setId, session] = m;
    assert.deepEqual(wsFiles(), ['.env', 'a.txt'], 'the workspace changed before the merge');

    const accepted = await airlock(['review', 'accept', setId, '--workspace', ws]);
    assert.equal(accepted.status, 0, accepted.stdout + accepted.stderr);
    const merged = await airlock(['review', 'merge', setId, '--workspace', ws]);
    assert.equal(merged.status, 0, merged.stdout + merged.stderr);
    assert.equal(fs.readFileSync(path.join(ws, 'notes/new.md'), 'utf8'), '# written through MCP\n');
    assert.equal(fs.readFileSync(path.join(ws, 'made-by-exec.txt'), 'utf8'), 'exec wrote this\n');

    const exported = await airlock(['audit', 'export', '--format', 'jsonl', '--session', session, '--workspace', ws]);
    assert.equal(exported.status, 0, exported.stderr);
    const entries = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { subject: string; action: string; resource: string; decision: string | null });
    const decisions = entries.filter((e) => e.action === 'tool.decision');
    assert.equal(decisions.length, 6, JSON.stringify(decisions));
    assert.deepEqual([...new Set(decisions.map((e) => e.subject))], ['mcp:airlock-test']);
    assert.ok(
      decisions.some((e) => e.resource === 'fs.read' && e.decision === 'deny'),
      'the denied read is in the trail',
    );
    assert.ok(
      decisions.some((e) => e.resource === 'fs.write' && e.decision === 'deny'),
      'the ask it could not put is a recorded deny',
    );
    assert.ok(decisions.some((e) => e.resource === 'exec' && e.decision === 'allow'));
    assert.ok(entries.some((e) => e.action === 'external.open' && e.subject === 'mcp:airlock-test'));
    assert.ok(entries.some((e) => e.action === 'task.patches'));
  });

  it('with a client that can ask (MCP elicitation), an ask goes to its person: allowed runs, declined is refused', async () => {
    const asked: string[] = [];
    const c = new Client({ name: 'elicit-test', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    c.setRequestHandler(ElicitRequestSchema, async (req) => {
      const message = String(req.params.message);
      asked.push(message);
      return message.includes('ci.yml') ? { action: 'accept', content: { decision: 'allow' } } : { action: 'decline' };
    });
    await c.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [cli(), 'mcp', 'serve', '--workspace', ws, '--mode', 'explore'],
        cwd: elsewhere,
        env: env as Record<string, string>,
        stderr: 'pipe',
      }),
    );
    const allowed = (await c.callTool({
      name: 'fs_write',
      arguments: { path: '.github/workflows/ci.yml', content: 'on: push\n' },
    })) as CallToolResult;
    assert.notEqual(allowed.isError, true, text(allowed));
    const declined = (await c.callTool({
      name: 'fs_write',
      arguments: { path: '.github/workflows/release.yml', content: 'on: tag\n' },
    })) as CallToolResult;
    assert.equal(declined.isError, true);
    assert.match(text(declined), /declined/);
    assert.equal(asked.length, 2);
    assert.match(asked[0], /fs\.write[^]*CI workflows are approved one by one/i);
    await c.close();
    const listed = await waitForListing(() => airlock(['review', 'list', '--workspace', ws, '--status', 'pending']), /pending\s+1 files/);
    const m = /^(\S+)\s+pending\s+1 files.*task (task_mcp_\w+)/m.exec(listed);
    assert.ok(m, listed);
    assert.ok(!fs.existsSync(path.join(ws, '.github')), 'the workspace changed before a merge');
    const exported = await airlock([
      'audit',
      'export',
      '--format',
      'jsonl',
      '--session',
      m[2],
      '--action',
      'tool.approval',
      '--workspace',
      ws,
    ]);
    const answers = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { subject: string; decision: string });
    assert.deepEqual(
      answers.map((a) => `${a.subject} ${a.decision}`),
      ['mcp:elicit-test allow', 'mcp:elicit-test deny'],
    );
  });
});
