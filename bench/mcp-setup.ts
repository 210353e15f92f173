// bench/plugins.ts's MCP set-up: a person's configuration (config dir) with one MCP server, `bench`, as `airlock mcp add`
// records it (servers.json, the install folder pinned), and a policy that allows its tools (instead of the shipped ask
// per call); plus an SDK client of the same server started a second time in its sandbox over an engine exec stream,
// the kernel's own transport, to split the call's cost by hop.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import Docker from 'dockerode';
import { assets } from '../protocol/src/node/assets';
import { writeServers } from '../core/src/mcp/servers-file';
import { engineExecStream } from '../kernel/src/mcp/exec-stream';
import { SandboxStdioTransport } from '../kernel/src/mcp/transport';
import { buildReadServer } from '../test/integration/mcp/read-server';

export const SERVER = 'bench';

/**
 * Writes `<configHome>/airlock/config.yaml` (policies.dir), the policies (the shipped ones, explore's `mcp-tools-ask`
 * replaced by an allow of `mcp:bench/*`) and servers.json with the bundled read server. Returns the server's entry on
 * the host, to start the same file directly.
 */
export function personConfig(configHome: string): { entry: string } {
  const home = path.join(configHome, 'airlock');
  const policies = path.join(home, 'policies');
  fs.cpSync(assets().policiesDir, policies, { recursive: true });
  const file = path.join(policies, 'explore.yaml');
  const shipped = fs.readFileSync(file, 'utf8');
  const cut = shipped.indexOf('\n  - id: mcp-tools-ask');
  if (cut < 0) throw new Error('the shipped explore policy no longer has mcp-tools-ask: update bench/mcp-setup.ts');
  fs.writeFileSync(
    file,
    `${shipped.slice(0, cut)}
  - id: mcp-bench-allow
    effect: allow
    subjects: ["agent:*"]
    actions: ["tool.call"]
    resources: ["mcp:${SERVER}/*"]
    reason: the benchmark's own server, allowed per tool as a person's policy would
`,
  );
  fs.writeFileSync(path.join(home, 'config.yaml'), `policies:\n  dir: ${JSON.stringify(policies)}\n`);
  const pkg = buildReadServer(path.join(home, 'mcp', SERVER));
  writeServers(
    { XDG_CONFIG_HOME: configHome, HOME: configHome },
    {
      [SERVER]: {
        command: 'node',
        args: ['/mcp/pkg/server.js', '/workspace'],
        secrets: [],
        npm: { spec: 'read-server', dir: pkg.dir, sha256: pkg.sha256 },
      },
    },
  );
  return { entry: pkg.entry };
}

/**
 * The same server, a second process in the sandbox the kernel started for it (found by its label), reached the way the
 * kernel reaches it: an engine exec with stdin attached and the SDK client over the size-capped line transport.
 */
export async function sandboxClient(sandbox: string): Promise<Client> {
  const docker = new Docker();
  const [c] = await docker.listContainers({ filters: { label: [`airlock.sandbox=${sandbox}`] } });
  if (!c) throw new Error(`no container for sandbox ${sandbox}`);
  const user = (await docker.getContainer(c.Id).inspect()).Config.User || undefined;
  const proc = await engineExecStream(docker, c.Id, ['node', '/mcp/pkg/server.js', '/workspace'], { user });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new SandboxStdioTransport(proc.stdio));
  return client;
}
