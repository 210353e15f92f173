// The kernel's handlers behind an in-process transport: unit tests talk typed RPC without a container or socket.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RpcClient } from '../../protocol/src/rpc-client';
import { ServerConnection } from '../../protocol/src/rpc-server';
import { createInProcessPair } from '../../protocol/src/transport';
import { EventBus } from '../../kernel/src/event-bus';
import { createHandlers } from '../../kernel/src/handlers/registry';
import type { KernelServices } from '../../kernel/src/services';
import { auditOptionsFromEnv } from '../../core/src/audit/options';
import { KernelAudit } from '../../kernel/src/audit/startup';
import { createKernelPolicyEngine } from '../../core/src/policy/defaults';

export interface InProcessKernel { client: RpcClient; services: KernelServices; workspace: string; dispose(): void }

export async function inProcessKernel(files: Record<string, string> = {}): Promise<InProcessKernel> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-inproc-'));
  const workspace = path.join(base, 'ws');
  for (const [f, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(workspace, f)), { recursive: true });
    fs.writeFileSync(path.join(workspace, f), content);
  }
  fs.mkdirSync(workspace, { recursive: true });
  const events = new EventBus();
  const config = { workspace, stateDir: path.join(base, 'state'), socketDir: path.join(base, 'run'), inContainer: false };
  // The real policy engine (default strict policy) and a real audit log in the temp state dir.
  const policy = createKernelPolicyEngine(config, {});
  const audit = await KernelAudit.start(auditOptionsFromEnv(config.stateDir, {}), events);
  const services: KernelServices = { config, version: 'test', startedAt: Date.now(), events, policy, audit };
  const [c, s] = createInProcessPair();
  const conn = new ServerConnection(s, { handlers: createHandlers(services), kernel: { version: 'test', pid: process.pid, startedAt: services.startedAt } });
  const sub = events.onEvent((e) => conn.emit(e.name, e.data as never));
  const client = new RpcClient(c);
  await client.handshake({ name: 'test', version: '0' });
  return { client, services, workspace, dispose: () => { sub.dispose(); client.dispose(); conn.dispose(); audit.dispose(); policy.dispose(); events.dispose(); fs.rmSync(base, { recursive: true, force: true }); } };
}
