// What the remote-server tests share: the kernel's MCP machinery (McpServers) on a real SandboxManager (Docker) whose
// sandboxes reach the network only through the kernel's egress proxy, judged by one policy, `mcp.test` resolving to the
// host's loopback (where the tests' servers listen).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRuntime } from '../../../kernel/src/runtime/detect';
import { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import { loadTemplates } from '../../../core/src/templates';
import { kernelEgress } from '../../../kernel/src/egress/attach';
import { McpServers, type McpServersDeps } from '../../../kernel/src/mcp/servers';
import type { AuditAppender } from '../../../kernel/src/audit/record';
import { ensureSandboxImages } from '../../../templates/builder/sandbox-images';
import { PolicyEngine } from '../../../core/src/policy/engine';
import { parsePolicyText } from '../../../core/src/policy/loader';
import { loadManaged } from '../../../core/src/config/managed';

export interface RemoteRig {
  m: SandboxManager;
  servers: McpServers;
}

export async function remoteRig(o: {
  policy: string;
  stateDir: string;
  audit: () => AuditAppender;
  addSecret?: (v: string) => void;
}): Promise<RemoteRig> {
  await ensureSandboxImages({ engine: 'docker', socketPath: '/var/run/docker.sock' });
  const policy = new PolicyEngine({ mode: 'explore' });
  policy.loadParsed(() => [parsePolicyText(o.policy, 'remote-mcp.yaml')]);
  const resolve = (host: string) => (host === 'mcp.test' ? Promise.resolve(['127.0.0.1']) : Promise.reject(new Error(`ENOTFOUND ${host}`)));
  const egress = kernelEgress({ policy, audit: o.audit, stateDir: o.stateDir, resolve });
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-ws-'));
  fs.chmodSync(ws, 0o755);
  const m = new SandboxManager({
    runtime: createRuntime('docker'),
    templates: loadTemplates(undefined, '1000:1000'),
    workspaceHost: ws,
    egress,
    pools: false,
  });
  await m.start();
  const servers = new McpServers({
    sandboxes: m,
    audit: (() => ({
      append: (i: Parameters<AuditAppender['append']>[0]) => Promise.resolve(o.audit().append(i, { sync: true })),
    })) as McpServersDeps['audit'],
    managed: loadManaged([]),
    version: '0.0.0',
    addSecret: o.addSecret ?? (() => undefined),
  });
  return { m, servers };
}
