// `airlock mcp serve` offers the person's own MCP servers (`airlock mcp add`, servers.json) to another agent: the CLI
// sends them to the kernel before the session opens, each runs in its mcp-server sandbox, and the SDK client calls its
// tools as mcp_<server>_<tool> through the same pipeline as a task's call (policy `tool.call` on mcp:<server>/<tool>,
// asked through MCP elicitation here, the decision audited as the client with the arguments' digest). Docker.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { assets } from '../../../protocol/src/node/assets';
import { writeServers } from '../../../core/src/mcp/servers-file';
import { argumentsDigest } from '../../../kernel/src/mcp/tools';
import { buildReadServer } from './read-server';
import { cleanUp, connectNode, runNode, toolText as text } from './shipped-helpers';

describe('airlock mcp serve: the person’s MCP servers, sandboxed, through the policy (SDK client, Docker)', function () {
  this.timeout(600_000);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-serve-servers-'));
  const ws = path.join(base, 'project');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AIRLOCK_STATE_ROOT: fs.mkdtempSync(path.join(os.tmpdir(), 'alss-')),
    XDG_CONFIG_HOME: path.join(base, 'config'),
  };
  delete env.AIRLOCK_CONFIG_FILE;
  const cli = path.join(assets().root, 'dist', 'cli.js');
  const asked: string[] = [];
  let client: Client;
  let stderr = '';
  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;

  before(async () => {
    assert.ok(fs.existsSync(cli), 'node scripts/build.mjs first');
    fs.chmodSync(base, 0o755);
    fs.mkdirSync(ws);
    fs.writeFileSync(path.join(ws, 'a.txt'), 'hello from the workspace\n');
    const pkg = buildReadServer(path.join(base, 'config', 'airlock', 'mcp', 'files'));
    // What `airlock mcp add files --npm …` records: the install folder, pinned, run by node with its entry first.
    writeServers(env, {
      files: {
        command: 'node',
        args: ['/mcp/pkg/server.js', '/workspace'],
        secrets: [],
        npm: { spec: 'read-server', dir: pkg.dir, sha256: pkg.sha256 },
      },
    });
    client = new Client({ name: 'serve-servers-test', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(String(req.params.message));
      return { action: 'accept', content: { decision: 'allow' } };
    });
    await connectNode(client, cli, ['mcp', 'serve', '--workspace', ws, '--mode', 'explore'], base, env, (c) => {
      stderr += c;
    });
  });

  after(() => cleanUp(client, ws, base));

  it('lists the server’s tools as mcp_<server>_<tool> beside Airlock’s own', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    for (const n of ['fs_read', 'mcp_files_read_file', 'mcp_files_whoami'])
      assert.ok(names.includes(n), `${n} in ${names.join(', ')}\n${stderr}`);
    const read = tools.find((t) => t.name === 'mcp_files_read_file')!;
    assert.match(read.description ?? '', /MCP server files, sandboxed/);
    assert.deepEqual(read.inputSchema.required, ['path']);
  });

  it('a call the shipped policy asks about goes to the person, then runs in the server’s sandbox, not on the host', async () => {
    const who = await call('mcp_files_whoami', {});
    assert.notEqual(who.isError, true, text(who) + stderr);
    const host = /^host:(\S+)$/.exec(text(who));
    assert.ok(host, text(who));
    assert.notEqual(host[1], os.hostname(), 'ran on the host');
    assert.equal(asked.length, 1);
    assert.match(asked[0], /mcp\.files\.whoami[^]*approved call by call/);
    const read = await call('mcp_files_read_file', { path: 'a.txt' });
    assert.notEqual(read.isError, true, text(read));
    assert.equal(text(read), 'hello from the workspace\n', 'the sandbox sees the workspace read-only at /workspace');
  });

  it('the calls are audited as the client: the asked decision with server, tool and arguments’ digest, then the answer', async () => {
    const session = /session (task_mcp_\w+)/.exec(stderr)?.[1];
    assert.ok(session, stderr);
    type Entry = { subject: string; resource: string; decision: string; payload?: Record<string, unknown> };
    const trail = async (action: string): Promise<Entry[]> => {
      const args = ['audit', 'export', '--format', 'jsonl', '--session', session, '--action', action, '--workspace', ws];
      const r = await runNode(cli, args, base, env);
      assert.equal(r.status, 0, r.stderr);
      return r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Entry);
    };
    const decisions = await trail('tool.decision');
    const read = decisions.find((d) => d.resource === 'mcp.files.read_file');
    assert.ok(read, JSON.stringify(decisions));
    assert.equal(read.subject, 'mcp:serve-servers-test');
    assert.equal(read.decision, 'ask');
    assert.deepEqual(
      [read.payload?.server, read.payload?.mcpTool, read.payload?.argumentsSha256],
      ['files', 'read_file', argumentsDigest({ path: 'a.txt' })],
    );
    assert.ok(decisions.some((d) => d.resource === 'mcp.files.whoami'));
    const answers = await trail('tool.approval');
    assert.deepEqual(
      answers.map((a) => `${a.subject} ${a.decision}`),
      ['mcp:serve-servers-test allow', 'mcp:serve-servers-test allow'],
    );
  });
});
