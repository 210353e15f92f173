// Owns the kernel for this window: starts it through bootstrap with progress, shows its state, logs to the output channel.
import * as vscode from 'vscode';
import { type KernelState, KernelSupervisor } from '../../../bootstrap';
import { AirlockError, formatError } from '../../../protocol/src/errors';
import { Disposable, Emitter } from '../../../protocol/src/lifecycle';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import { isRemoteEngine } from '../../../core/src/remote/mode';

export class KernelService extends Disposable {
  private supervisor?: KernelSupervisor;
  private starting?: Promise<KernelSupervisor>;
  private readonly _onDidChangeState = this._register(new Emitter<KernelState | { type: 'idle' }>());
  readonly onDidChangeState = this._onDidChangeState.event;

  constructor(
    private readonly workspace: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
  }

  get state(): KernelState | { type: 'idle' } {
    return this.supervisor?.state ?? { type: 'idle' };
  }

  /** The kernel runs on a remote engine: files on this machine (plugins, MCP server packages) cannot be mounted there. */
  get remote(): boolean {
    return isRemoteEngine(this.supervisor?.engine.endpoint);
  }

  get engine(): string | undefined {
    return this.supervisor ? `${this.supervisor.engine.kind} ${this.supervisor.engine.version}` : undefined;
  }

  get image(): string | undefined {
    return this.supervisor?.image;
  }

  /** Starts the kernel once, showing a progress notification; later calls share the same start. */
  start(): Promise<KernelSupervisor> {
    if (this.starting) return this.starting;
    const starting = Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Airlock', cancellable: true },
        async (progress, token) => {
          const ac = new AbortController();
          token.onCancellationRequested(() => ac.abort());
          this._onDidChangeState.fire({ type: 'starting', detail: 'starting kernel' });
          const runtime = vscode.workspace.getConfiguration('airlock').get<'auto' | 'docker' | 'podman'>('containerRuntime', 'auto');
          const sup = await KernelSupervisor.start(
            { workspace: this.workspace, runtime },
            {
              signal: ac.signal,
              progress: (line) => {
                progress.report({ message: line });
                this.log.info(line);
              },
              log: (line) => this.log.info(line),
            },
          );
          this.supervisor = this._register(sup);
          this._register(sup.onDidChangeState((s) => this.onState(s)));
          this.onState(sup.state);
          return sup;
        },
      ),
    );
    this.starting = starting;
    starting.catch((err) => {
      this.starting = undefined;
      this.log.error(formatError(err));
      this._onDidChangeState.fire({ type: 'failed', error: AirlockError.from(err) });
    });
    return starting;
  }

  async client(): Promise<RpcClient> {
    return (await this.start()).ready();
  }

  async restart(): Promise<void> {
    if (!this.supervisor) {
      await this.start();
      return;
    }
    await this.supervisor.restart();
  }

  private onState(s: KernelState): void {
    if (s.type === 'failed') this.log.error(formatError(s.error));
    else if (s.type === 'restarting') this.log.warn(`kernel restarting (attempt ${s.attempt}): ${s.reason}`);
    this._onDidChangeState.fire(s);
  }
}
