// One workspace's kernel on a remote engine, host side: its volumes, and the snapshot sync every task start waits for.
import type Docker from 'dockerode';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import { syncWorkspace, type SyncResult } from './sync';
import { prepareRemoteKernel, type RemoteKernel, type RemoteKernelRequest } from './volumes';

export class RemoteWorkspace {
  private syncing?: Promise<SyncResult>;
  last?: SyncResult;

  private constructor(
    private readonly docker: Docker,
    private readonly r: RemoteKernelRequest,
    readonly kernel: RemoteKernel,
    private readonly log: (l: string) => void,
  ) {}

  /** Creates (or reuses) the volumes and sends the workspace once, before the kernel starts on them. */
  static async open(docker: Docker, r: RemoteKernelRequest, log: (l: string) => void = () => {}): Promise<RemoteWorkspace> {
    const w = new RemoteWorkspace(docker, r, await prepareRemoteKernel(docker, r), log);
    await w.sync();
    return w;
  }

  /** Sends the host's workspace now. Runs are serialised: a call during a run waits for it, then sends again, so the
   * snapshot it gets is at least as new as the moment it asked. */
  sync(): Promise<SyncResult> {
    const run = async (): Promise<SyncResult> => {
      const r = await syncWorkspace(this.docker, this.r.image, this.kernel, this.r.workspace, this.r.user);
      this.log(`workspace snapshot sent to the engine (${r.entries} entries, ${r.ms} ms)`);
      return (this.last = r);
    };
    const prev = this.syncing;
    const next: Promise<SyncResult> = (prev ? prev.catch(() => undefined).then(run) : run()).finally(() => {
      if (this.syncing === next) this.syncing = undefined;
    });
    this.syncing = next;
    return next;
  }

  /** Every task/start on this client waits for a fresh snapshot (the CLI and the extension both come through here). */
  attach(client: RpcClient): void {
    client.beforeSend = (method) => (method === 'task/start' ? this.sync().then(() => undefined) : undefined);
  }
}
