// Keeps one kernel alive: start, connect, detect death, restart with exponential backoff, give up clearly.
import * as path from 'node:path';
import type Docker from 'dockerode';
import { AirlockError, ErrorCodes } from '../protocol/src/errors';
import { Disposable, Emitter } from '../protocol/src/lifecycle';
import type { RpcClient } from '../protocol/src/rpc-client';
import { anchorFile, isAnchorError, syncAnchor } from '../protocol/src/node/audit-anchor';
import { type BootstrapConfig, type Paths, readConfig, statePaths } from '../core/src/config/bootstrap';
import { ensureKernelImage } from '../templates/builder/kernel-image';
import { containerName, ignoreAlreadyStarted, kernelCreateOptions, startKernelContainer, waitForKernel } from './kernel';
import { workspaceUser } from '../core/src/engine/workspace-owner';
import { exitedDuringStart, tailLogs, whyStopped } from '../core/src/engine/container-end';
import { ensureOutputsVolume } from '../core/src/engine/outputs-volume';
import { execLink, socketLink } from '../core/src/remote/link';
import { isRemoteEngine, useExecTransport } from '../core/src/remote/mode';
import { RemoteWorkspace } from '../core/src/remote/session';
import { detectEngine, type Engine } from '../core/src/engine/detect';
import { ENGINE_WAIT_MS, EngineOutage } from '../core/src/engine/wait';
import { installationId } from '../protocol/src/node/assets';
import { recordInstallation, recordWorkspace, startupSweep } from '../core/src/gc/sweep';

export type KernelState =
  | { type: 'starting'; detail: string }
  | { type: 'ready'; client: RpcClient }
  | { type: 'restarting'; attempt: number; reason: string }
  | { type: 'failed'; error: AirlockError }
  | { type: 'stopped' };

export interface SupervisorOptions {
  progress?: (line: string) => void;
  log?: (line: string) => void;
  signal?: AbortSignal;
}
const BACKOFF_BASE_MS = 200;
const RESTART_WINDOW_MS = 60_000;
/** After audit entries were appended, the host moves its anchor forward at most this often. */
const ANCHOR_EVERY_MS = 2_000;

export class KernelSupervisor extends Disposable {
  private _state: KernelState = { type: 'starting', detail: 'detecting container engine' };
  private readonly _onDidChangeState = this._register(new Emitter<KernelState>());
  readonly onDidChangeState = this._onDidChangeState.event;
  private restarts: number[] = [];
  private container?: Docker.Container;
  private recovering?: Promise<void>;
  private remote?: RemoteWorkspace;

  private constructor(
    readonly config: BootstrapConfig,
    readonly paths: Paths,
    readonly engine: Engine,
    readonly image: string,
    private readonly opts: SupervisorOptions,
  ) {
    super();
  }

  static async start(overrides: Partial<BootstrapConfig> & { workspace: string }, opts: SupervisorOptions = {}): Promise<KernelSupervisor> {
    const config = readConfig(overrides);
    const paths = statePaths(config);
    opts.progress?.('detecting container engine');
    const engine = await detectEngine(config);
    const image = await ensureKernelImage(engine, config, opts.progress, opts.signal);
    const sup = new KernelSupervisor(config, paths, engine, image, opts);
    recordWorkspace(paths.root, config.workspace); // lets `airlock gc` find this folder once the workspace is gone
    recordInstallation(path.dirname(paths.root), [image]); // gc keeps the image while this installation exists
    try {
      await sup.boot(opts.signal);
    } catch (e) {
      sup.dispose();
      throw e;
    }
    // Once a day, in the background: this installation's leftovers (docs/recovery.md, "What gc removes").
    void startupSweep(engine.docker, {
      stateBase: path.dirname(paths.root),
      installation: installationId(),
      local: !isRemoteEngine(engine.endpoint),
    }).catch((e: Error) => opts.log?.(`start-up sweep: ${e.message}`));
    return sup;
  }

  get state(): KernelState {
    return this._state;
  }

  get client(): RpcClient {
    if (this._state.type !== 'ready')
      throw new AirlockError(
        ErrorCodes.KernelUnhealthy,
        `the kernel is ${this._state.type}`,
        'wait for it to start or run `Airlock: Restart Kernel`',
      );
    return this._state.client;
  }

  /** Resolves with a connected client, waiting through a restart in progress. */
  async ready(): Promise<RpcClient> {
    if (this.recovering) await this.recovering;
    return this.client;
  }

  async restart(): Promise<void> {
    this.restarts = [];
    await this.container?.restart({ t: 2 });
    await this.recover('restart requested');
  }

  async stop(): Promise<void> {
    this.setState({ type: 'stopped' });
    await this.container?.stop({ t: 2 }).catch(() => undefined);
  }

  private setState(s: KernelState): void {
    if (this._state.type === 'ready' && s.type !== 'ready') this._state.client.dispose();
    this._state = s;
    this._onDidChangeState.fire(s);
  }

  private async boot(signal?: AbortSignal): Promise<void> {
    this.setState({ type: 'starting', detail: `starting kernel container (${this.engine.kind})` });
    this.opts.progress?.(`starting or reusing the kernel container on ${this.engine.kind}`);
    const say = (l: string) => this.opts.progress?.(l);
    // A remote engine: volumes for state, socket dir and the workspace snapshot (sent now, and before each task).
    if (isRemoteEngine(this.engine.endpoint))
      this.remote ??= await RemoteWorkspace.open(
        this.engine.docker,
        {
          id: this.paths.id,
          workspace: this.config.workspace,
          image: this.image,
          user: workspaceUser(this.config.workspace),
          endpoint: this.engine.endpoint,
          address: this.engine.socket,
          kind: this.engine.kind,
          engineSocket: this.config.engineHostSocket,
          hostFolders: [this.config.policiesDir, this.config.templatesDir].filter((d): d is string => !!d),
        },
        say,
      );
    const outputs = await ensureOutputsVolume(
      this.engine,
      this.config,
      this.paths,
      workspaceUser(this.config.workspace),
      containerName(this.paths),
      say,
    );
    this.container = await startKernelContainer(
      this.engine,
      kernelCreateOptions(this.engine, this.config, this.paths, this.image, outputs, this.remote?.kernel),
      this.paths,
      say,
    );
    await this.connect(signal);
  }

  private async connect(signal?: AbortSignal): Promise<void> {
    this.opts.progress?.('waiting for the kernel to answer');
    const link = useExecTransport(this.engine.endpoint, this.config.kernelTransport) ? execLink(this.container!) : socketLink(this.paths);
    const exited = async () => ((await this.isRunning()) ? undefined : exitedDuringStart(this.container));
    const client = await waitForKernel(link, this.config.startTimeoutMs, this.config.pingTimeoutMs, exited, signal);
    this.remote?.attach(client);
    // --- audit anchor: the kernel's log must continue the one this host last saw (docs/audit.md, host anchor) ---
    try {
      await this.anchorAudit(client, signal);
    } catch (e) {
      client.dispose();
      throw e;
    }
    let anchoring: NodeJS.Timeout | undefined;
    const onAppended = client.onEvent('audit/appended', () => {
      anchoring ??= setTimeout(() => {
        anchoring = undefined;
        void this.anchorAudit(client).catch((e) => this.anchorFailed(client, e));
      }, ANCHOR_EVERY_MS);
    });
    client.onDidClose(() => {
      clearTimeout(anchoring);
      onAppended.dispose();
    });
    // --- end audit anchor ---
    client.onDidClose(() => {
      if (!this._store.isDisposed && this._state.type === 'ready' && this._state.client === client)
        void this.recover('connection to the kernel closed');
    });
    this.setState({ type: 'ready', client });
    this.opts.log?.(`kernel ready (${this.engine.kind}, image ${this.image})`);
  }

  /** A kernel whose audit log cannot be opened refuses sessions itself; any other failure (rollback, swap) is fatal. */
  private async anchorAudit(client: RpcClient, signal?: AbortSignal): Promise<void> {
    try {
      await syncAnchor(client, anchorFile(this.paths.root), { signal, timeoutMs: this.config.pingTimeoutMs });
    } catch (e) {
      if ((e as AirlockError).code === 'AUDIT_UNAVAILABLE') {
        this.opts.log?.(`audit anchor not checked: ${(e as Error).message}`);
        return;
      }
      throw e;
    }
  }

  private anchorFailed(client: RpcClient, e: unknown): void {
    if (!isAnchorError(e) || this._state.type !== 'ready' || this._state.client !== client) return;
    this.setState({ type: 'failed', error: AirlockError.from(e) });
  }

  private async isRunning(): Promise<boolean> {
    return (await this.container?.inspect().catch(() => undefined))?.State.Running ?? false;
  }

  private recover(reason: string): Promise<void> {
    this.recovering ??= whyStopped(this.container, reason, this.config.memoryBytes, this.opts.log)
      .then((r) => this.doRecover(r))
      .finally(() => {
        this.recovering = undefined;
      });
    return this.recovering;
  }

  private async doRecover(reason: string): Promise<void> {
    const outage = new EngineOutage(() => this.engine.docker.ping(), { deadlineMs: ENGINE_WAIT_MS, stopped: () => this._store.isDisposed });
    for (;;) {
      if (this._store.isDisposed || this._state.type === 'stopped') return;
      // An engine that is restarting takes longer than the backoffs: wait for it without counting attempts.
      const waiting = () =>
        this.setState({
          type: 'restarting',
          attempt: this.restarts.length + 1,
          reason: `the container engine is not answering; waiting for it (${reason})`,
        });
      if (!(await outage.available(waiting))) {
        if (this._store.isDisposed) return;
        this.setState({
          type: 'failed',
          error: new AirlockError(
            ErrorCodes.NoRuntime,
            `the container engine at ${this.engine.socket} has not worked for ${ENGINE_WAIT_MS / 1000} s (last: ${reason})`,
            'start it again (e.g. `sudo systemctl start docker`, or `systemctl --user start podman.socket`), then `Airlock: Restart Kernel`',
          ),
        });
        return;
      }
      const now = Date.now();
      this.restarts = this.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
      if (this.restarts.length >= this.config.maxRestarts) {
        const logs = await tailLogs(this.container);
        this.setState({
          type: 'failed',
          error: new AirlockError(
            ErrorCodes.KernelUnhealthy,
            `the kernel failed ${this.restarts.length} times within ${RESTART_WINDOW_MS / 1000} s (last: ${reason})${logs ? `; its last output:\n${logs}` : ''}`,
            'run `airlock doctor`, then `Airlock: Restart Kernel`',
          ),
        });
        return;
      }
      const attempt = this.restarts.length + 1;
      this.restarts.push(now);
      this.setState({ type: 'restarting', attempt, reason });
      this.opts.log?.(`kernel: ${reason}; restart attempt ${attempt}/${this.config.maxRestarts}`);
      await new Promise((r) => setTimeout(r, BACKOFF_BASE_MS * 2 ** (attempt - 1)));
      // The engine refusing to start it (e.g. still shutting down) is the engine's outage, not a kernel failure.
      const refused = await (async () => {
        if (!(await this.isRunning())) await this.container?.start().catch(ignoreAlreadyStarted);
      })().then(
        () => undefined,
        (e: Error) => e,
      );
      if (refused) {
        this.restarts.pop();
        reason = refused.message;
        await outage.refused();
        continue;
      }
      outage.ended();
      try {
        await this.connect();
        return;
      } catch (e) {
        // A log that does not continue the anchored one will not get better by restarting.
        if (isAnchorError(e)) {
          this.setState({ type: 'failed', error: AirlockError.from(e) });
          return;
        }
        reason = (e as Error).message;
      }
    }
  }

  override dispose(): void {
    if (this._state.type === 'ready') this._state.client.dispose();
    super.dispose();
  }
}
