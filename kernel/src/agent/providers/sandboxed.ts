// A real provider whose SDK runs in the task's ai-provider sandbox (network none, egress: provider): the kernel sends
// each request to the worker there and validates what comes back; the key is added by the kernel's provider endpoint.
import type { StreamEvent } from '../../../../protocol/src/agent';
import { AirlockError } from '../../../../protocol/src/errors';
import type { SandboxTemplate } from '../../../../core/src/templates';
import { engineAt, engineExecStream } from '../../mcp/exec-stream';
import type { SandboxInfo } from '../../runtime/sandbox';
import { ProviderWorkerClient, type WorkerProcess } from '../provider-worker/client';
import type { WorkerVendor } from '../provider-worker/frames';
import { providerWorkerSource, WORKER_LOADER } from '../provider-worker/source';
import type { IProvider, ProviderRequest } from './types';

export const PROVIDER_TEMPLATE = 'ai-provider';

/** What the provider needs of the sandbox manager. */
export interface ProviderSandboxes {
  create(o: { template: string; task?: string; signal?: AbortSignal }): Promise<SandboxInfo>;
  destroy(id: string, reason?: string): Promise<unknown>;
  template(name: string): SandboxTemplate;
  readonly runtime: { readonly socketPath: string };
}

interface Live {
  sandbox: string;
  client: ProviderWorkerClient;
}

export class SandboxedProvider implements IProvider {
  private live: Promise<Live> | undefined;
  private disposed = false;

  constructor(
    readonly name: WorkerVendor,
    private readonly o: {
      sandboxes: ProviderSandboxes;
      task: string;
      /** Starts the worker's process in the sandbox (tests may replace it); default: the engine's exec with stdin. */
      exec?: (sb: SandboxInfo, t: SandboxTemplate) => Promise<WorkerProcess>;
    },
  ) {}

  stream(req: ProviderRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    return this.run(req, signal);
  }

  private async *run(req: ProviderRequest, signal: AbortSignal): AsyncGenerator<StreamEvent> {
    const w = await this.acquire(signal);
    yield* w.client.stream(this.name, req, signal);
  }

  /** The task's worker: started with its first turn, started again after it died. */
  private async acquire(signal: AbortSignal): Promise<Live> {
    if (this.disposed)
      throw new AirlockError('PROVIDER_DISPOSED', "the task's provider sandbox was closed", 'the task has ended; start a new one');
    const live = this.live && (await this.live.catch(() => undefined));
    if (live && !live.client.dead) return live;
    this.live = this.open(signal);
    this.live.catch(() => {
      this.live = undefined;
    });
    return this.live;
  }

  private async open(signal: AbortSignal): Promise<Live> {
    const [source, sb] = await Promise.all([
      providerWorkerSource(),
      this.o.sandboxes.create({ template: PROVIDER_TEMPLATE, task: this.o.task, signal }),
    ]);
    try {
      const t = this.o.sandboxes.template(PROVIDER_TEMPLATE);
      const proc = await (this.o.exec ?? defaultExec(this.o.sandboxes))(sb, t);
      const client = new ProviderWorkerClient(proc, () => {
        void this.o.sandboxes.destroy(sb.id, 'the provider worker stopped').catch(() => undefined);
      });
      await client.start(source);
      if (this.disposed)
        throw new AirlockError(
          'PROVIDER_DISPOSED',
          'the task ended while its provider sandbox started',
          'the task has ended; start a new one',
        );
      return { sandbox: sb.id, client };
    } catch (e) {
      await this.o.sandboxes.destroy(sb.id, 'the provider worker did not start').catch(() => undefined);
      throw AirlockError.from(e, 'PROVIDER_WORKER_START', 'the ai-provider sandbox could not run the provider worker');
    }
  }

  /** The task is over: its provider sandbox goes. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const live = this.live && (await this.live.catch(() => undefined));
    this.live = undefined;
    if (!live) return;
    live.client.kill(
      new AirlockError('PROVIDER_DISPOSED', "the task's provider sandbox was closed", 'the task has ended; start a new one'),
    );
    await this.o.sandboxes.destroy(live.sandbox, 'the task ended').catch(() => undefined);
  }
}

function defaultExec(sandboxes: ProviderSandboxes) {
  return (sb: SandboxInfo, t: SandboxTemplate): Promise<WorkerProcess> => {
    if (!sb.containerId)
      throw new AirlockError(
        'PROVIDER_WORKER_START',
        `sandbox ${sb.id} has no container`,
        'the sandbox failed as it started; `airlock sandbox list` shows why',
      );
    return engineExecStream(engineAt(sandboxes.runtime.socketPath), sb.containerId, ['node', '-e', WORKER_LOADER], {
      user: t.user,
      workingDir: t.workdir,
    });
  };
}
