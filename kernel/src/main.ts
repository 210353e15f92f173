// Kernel composition root: read config, build services and handlers, listen, shut down cleanly.
import * as path from 'node:path';
import { formatError } from '../../protocol/src/errors';
import { DisposableStore } from '../../protocol/src/lifecycle';
import { readKernelConfig, type KernelConfig } from './config';
import { createHandlers } from './handlers/registry';
import { KernelServer } from './ipc/server';
import { EventBus, type IEventBus } from './event-bus';
import type { KernelServices } from './services';
import { auditOptionsFromEnv } from '../../core/src/audit/options';
import { KernelAudit } from './audit/startup';
import { applyManagedToAudit, managedFromEnv, managedStartEntry } from './managed';
import { INTERRUPTED_MESSAGE, SessionStore } from './sessions/store';
import { createKernelPolicyEngine, TOKEN_KEY_NAME } from '../../core/src/policy/defaults';
import { PatchService } from './patches/service';
import { patchAuditSink } from './patches/audit-sink';
import { policyProtected } from './patches/policy-check';
import { connectEvents, createScheduler, createWorkflow, stateOfStatus } from './workflow/wiring';
import { createKernelRuntime, sandboxAuditSink } from './runtime/kernel-runtime';
import type { EgressApprover } from './egress/decide';
import type { ProviderUpstream } from './egress/provider-upstream';
import { hiddenCheck } from './agent/hidden';
import { workspaceMasks } from './agent/masks';
import { TaskService } from './agent/task-service';
import { ExternalSessions } from './agent/external-sessions';
import { NoSandboxes } from './runtime/no-sandboxes';
import type { SandboxManager } from './runtime/sandbox-manager';
import { TokenService } from '../../core/src/policy/tokens';
import { installLastResort } from './last-resort';
import { assets } from '../../protocol/src/node/assets';
import { shippedBuiltins } from './plugins/builtins';
import { checkOwnFolder } from './own-folder';
import { checkKernelStores, kernelStores } from './store/stores';
import { StoreMaintenance } from './store/maintenance';
import { idleMsFromEnv, watchIdle } from './lifecycle/idle';
import { watchEngine } from './lifecycle/engine-lost';
import { memoryProbeMsFromEnv, startMemoryProbe } from './lifecycle/memory-probe';
import { McpServers } from './mcp/servers';
import { Plugins } from './plugins/registry';
import type { IPolicy } from './agent/interfaces';

export const KERNEL_VERSION = '0.1.0';

export interface RunningKernel {
  server: KernelServer;
  services: KernelServices;
  dispose(): void;
}

export interface ServiceOptions {
  env?: NodeJS.ProcessEnv;
  /** A sandbox manager the caller made and owns (tests); by default one from AIRLOCK_ENGINE, disposed with the store. */
  runtime?: SandboxManager;
}

/**
 * Every service the handlers use, each disposed with `store`. Without a container engine the runtime is NoSandboxes
 * (every sandbox call and task/start is refused with SANDBOX_NO_RUNTIME); everything else still works.
 */
export async function createKernelServices(
  config: KernelConfig,
  store: DisposableStore,
  events: EventBus,
  o: ServiceOptions = {},
): Promise<KernelServices> {
  const env = o.env ?? process.env;
  // The one capability-token service of this kernel (openKeyFile shares it per key file: the policy engine's is this one).
  const tokens = TokenService.openKeyFile(path.join(config.stateDir, TOKEN_KEY_NAME), { issuer: 'kernel', rejectEarlier: true });
  const policy = store.add(createKernelPolicyEngine(config, env));
  // Verified before anything listens: a damaged chain keeps the kernel up (to report) but refuses sessions.
  // Managed settings from the kernel's config (readKernelConfig) or its environment; handlers read them from config.
  const managed = config.managed ?? managedFromEnv(env);
  config = { ...config, managed };
  const audit = store.add(await KernelAudit.start(applyManagedToAudit(managed, auditOptionsFromEnv(config.stateDir, env)), events));
  // Which managed settings were in force, recorded before anything listens (only on an intact chain, like kernel.start).
  if (audit.sessionsAllowed) await audit.writer.append(managedStartEntry(managed), { sync: true });
  // Each store checked before it opens: a damaged one is set aside, its newest good snapshot restored, the loss stated.
  const warn = (l: string) => process.stderr.write(l + '\n');
  await checkKernelStores(config.stateDir, kernelStores(config.stateDir), {
    audit: () => (audit.sessionsAllowed ? audit.writer : undefined),
    warn,
  });
  // Review decisions and merges are recorded synchronously before they are acknowledged.
  const patches: PatchService = new PatchService({
    stateDir: config.stateDir,
    workspace: config.workspace,
    isProtected: policyProtected(policy),
    audit: patchAuditSink(
      () => audit.writer,
      (id) => patches.show(id).set.taskId,
    ),
    onReady: (e) => events.emit('patches/ready', e),
  });
  // Sandbox transitions go to the audit log synchronously: a transition that cannot be recorded does not happen.
  // Every sandbox that mounts the workspace masks what the kernel's policy hides from agents (a task's own sandboxes
  // pass the masks of its mode's policy instead).
  // Sandboxes whose template has `egress: proxy` reach the network only through the kernel's audited proxy (docs/network.md).
  const engine =
    o.runtime ??
    (await createKernelRuntime({
      workspace: config.workspace,
      audit: sandboxAuditSink(() => audit.log),
      env,
      workspaceMasks: () => workspaceMasks(config.workspace, hiddenCheck(policy, 'sandbox')),
      // A task's sandboxes ask its person about `ask` connections; its ai-provider sandbox reaches only its provider.
      egress: {
        policy,
        audit: () => audit.writer,
        stateDir: config.stateDir,
        approverFor: (task): EgressApprover | undefined => tasks.egressApprover(task),
        // A task's connections are judged by its mode's policy (the kernel's own mode may be another).
        policyFor: (task) => tasks.egressPolicy(task),
        providerFor: (task): ProviderUpstream | undefined => tasks.providerUpstream(task),
      },
    }));
  if (engine && !o.runtime) store.add(engine);
  // With a runtime: preemption pauses sandboxes with the engine, and test guards run the tests in a code-executor sandbox.
  // Finished tasks beyond the newest 1,000 are looked up in the sessions store (declared below; used only later).
  const scheduler = store.add(createScheduler(undefined, engine, (id) => stateOfStatus(sessions.get(id)?.status)));
  store.add(
    new StoreMaintenance(kernelStores(config.stateDir), { busy: () => scheduler.list(['queued', 'running']).length > 0, log: warn }),
  );
  const workflow = store.add(createWorkflow(config, patches, () => audit.writer, engine));
  store.add(connectEvents(events, scheduler, workflow));
  const runtime = engine ?? new NoSandboxes();
  // MCP servers run in their own sandboxes (kernel/src/mcp/); their tools join each task started while they are ready.
  const mcp: McpServers = store.add(
    new McpServers({
      sandboxes: engine ?? null,
      audit: () => audit.writer,
      managed,
      version: KERNEL_VERSION,
      addSecret: (v) => tasks.sanitiser.addSecret(v),
    }),
  );
  // Tool plugins (kernel/src/plugins/): verified, approved at a content hash, each in its own sandbox; every transition audited.
  const plugins: Plugins = store.add(
    new Plugins({
      sandboxes: engine ?? null,
      audit: () => audit.writer,
      policy,
      version: KERNEL_VERSION,
      taskPolicy: (id): IPolicy | undefined => tasks.policyOf(id),
      shipped: shippedBuiltins(assets().builtinPluginsDir),
    }),
  );
  const tasks: TaskService = store.add(
    new TaskService(
      {
        config,
        events,
        policy,
        audit,
        runtime,
        patches,
        scheduler,
        workflow,
        tokens,
        pluginTools: () => [...mcp.tools(), ...plugins.tools()],
      },
      env,
    ),
  );
  const sessions = store.add(new SessionStore(config.stateDir, events));
  // Tasks a killed kernel left unfinished: their sessions are now marked failed (SessionStore); recorded once each.
  if (audit.sessionsAllowed) {
    for (const taskId of sessions.interrupted) {
      await audit.writer.append(
        { session: taskId, subject: 'kernel', action: 'task.interrupted', resource: taskId, payload: { reason: INTERRUPTED_MESSAGE } },
        { sync: true },
      );
    }
  }
  const external = store.add(new ExternalSessions({ tasks, tokens, workflow }));
  return {
    config,
    version: KERNEL_VERSION,
    startedAt: Date.now(),
    events,
    audit,
    policy,
    patches,
    scheduler,
    workflow,
    runtime,
    tokens,
    tasks,
    sessions,
    external,
    mcp,
    plugins,
  };
}

export async function startKernel(config: KernelConfig, opts: { checkPeer?: boolean } = {}): Promise<RunningKernel> {
  const store = new DisposableStore();
  const events = store.add(new EventBus());
  const services = await createKernelServices(config, store, events);
  const server = store.add(
    new KernelServer({
      socketDir: config.socketDir,
      handlers: createHandlers(services),
      kernel: { version: KERNEL_VERSION, pid: process.pid, startedAt: services.startedAt },
      allowedUid: config.allowedUid,
      checkPeer: opts.checkPeer,
    }),
  );
  await server.listen();
  store.add(events.onEvent((e) => server.broadcast(e.name, e.data as never)));
  return { server, services, dispose: () => store.dispose() };
}

async function main(): Promise<void> {
  // Logged and survived (a storm of them exits for a clean restart): kernel/src/last-resort.ts.
  installLastResort({ log: (l) => process.stderr.write(l + '\n'), exit: (code) => process.exit(code) });
  const own = checkOwnFolder();
  process.stdout.write(`airlock kernel ${KERNEL_VERSION}: protected folder ${own} (${assets().layout} layout)\n`);
  const config = readKernelConfig();
  const kernel = await startKernel(config);
  process.stdout.write(`airlock kernel ${KERNEL_VERSION} listening on ${kernel.server.socketPath}\n`);
  // Debug only (the soak sets it): a full GC and a memory sample every N ms into the state folder.
  const probeMs = memoryProbeMsFromEnv(process.env);
  if (probeMs) startMemoryProbe(config.stateDir, probeMs, (l) => process.stdout.write(l + '\n'));
  watchIdle(
    kernel,
    idleMsFromEnv(process.env),
    (code) => process.exit(code),
    (l) => process.stdout.write(l + '\n'),
  );
  watchEngine(
    kernel,
    (code) => process.exit(code),
    (l) => process.stdout.write(l + '\n'),
  );
  const stop = () => {
    kernel.dispose();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(formatError(err) + '\n');
    process.exit(1);
  });
}
