// The kernel's handlers behind an in-process transport: unit tests talk typed RPC without a container or socket.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DisposableStore } from '../../protocol/src/lifecycle';
import { RpcClient } from '../../protocol/src/rpc-client';
import { ServerConnection } from '../../protocol/src/rpc-server';
import { createInProcessPair } from '../../protocol/src/transport';
import { EventBus } from '../../kernel/src/event-bus';
import { createHandlers } from '../../kernel/src/handlers/registry';
import { createKernelServices } from '../../kernel/src/main';
import type { SandboxManager } from '../../kernel/src/runtime/sandbox-manager';
import type { KernelServices } from '../../kernel/src/services';

export interface InProcessKernel {
  client: RpcClient;
  services: KernelServices;
  workspace: string;
  dispose(): void;
}

export interface InProcessOptions {
  /** The kernel's environment (default: none, so no engine: the runtime is NoSandboxes). */
  env?: NodeJS.ProcessEnv;
  /** A sandbox manager for the kernel, made once the workspace exists; the caller shuts it down. */
  runtime?: (workspace: string) => SandboxManager;
  /** Services of the test's own to serve instead of the kernel's (e.g. a scheduler with other limits). */
  replace?: (s: KernelServices) => Partial<KernelServices>;
}

export async function inProcessKernel(files: Record<string, string> = {}, o: InProcessOptions = {}): Promise<InProcessKernel> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-inproc-'));
  const workspace = path.join(base, 'ws');
  for (const [f, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(workspace, f)), { recursive: true });
    fs.writeFileSync(path.join(workspace, f), content);
  }
  fs.mkdirSync(workspace, { recursive: true });
  const store = new DisposableStore();
  const events = store.add(new EventBus());
  const config = { workspace, stateDir: path.join(base, 'state'), socketDir: path.join(base, 'run'), inContainer: false };
  // The kernel's own composition: real policy engine (default strict policy), audit log, patches, scheduler, workflow
  // and tasks in the temp state dir.
  const composed = await createKernelServices(config, store, events, { env: o.env ?? {}, runtime: o.runtime?.(workspace) });
  const services: KernelServices = { ...composed, ...o.replace?.(composed) };
  const [c, s] = createInProcessPair();
  const conn = new ServerConnection(s, {
    handlers: createHandlers(services),
    kernel: { version: 'test', pid: process.pid, startedAt: services.startedAt },
  });
  const sub = events.onEvent((e) => conn.emit(e.name, e.data as never));
  const client = new RpcClient(c);
  await client.handshake({ name: 'test', version: '0' });
  return {
    client,
    services,
    workspace,
    dispose: () => {
      sub.dispose();
      client.dispose();
      conn.dispose();
      store.dispose();
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}
