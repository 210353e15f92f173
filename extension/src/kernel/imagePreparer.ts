// Prepares the kernel and sandbox images from the extension itself (no checkout, no tsx): on first use when the kernel
// reports a missing image, and on Airlock: Prepare Images; with progress, cancellable, mirrored in the status bar.
import * as os from 'node:os';
import * as vscode from 'vscode';
import { detectEngine, readConfig } from '../../../bootstrap';
import { prepareImages } from '../../../templates/builder/images';
import { registryFromEnv } from '../../../templates/builder/registry-prepare';
import { AirlockError, formatError } from '../../../protocol/src/errors';
import { Disposable, Emitter } from '../../../protocol/src/lifecycle';
import type { SandboxCheck } from '../../../protocol/src/sandbox-health';
import type { ImagesState } from './statusText';

export interface PrepareRequest {
  /** The kernel already runs (first use): only the sandbox images are missing. */
  sandboxesOnly: boolean;
  /** Said when done (the command); first use says only failures. */
  announce: boolean;
}

export class ImagePreparer extends Disposable {
  private running: Promise<boolean> | undefined;
  /** Kernel connections whose missing images were already prepared once automatically (a failure is not retried in a loop). */
  private readonly tried = new WeakSet<object>();
  private readonly _onDidPrepare = this._register(new Emitter<void>());
  /** Fired after a successful preparation: the sandbox health is read again at once. */
  readonly onDidPrepare = this._onDidPrepare.event;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly show: (s: ImagesState | undefined) => void,
    private readonly workspace: () => string | undefined,
  ) {
    super();
  }

  /** First use: the kernel's sandbox checks report a missing image; prepare the sandbox images once for this kernel. */
  onChecks(client: object, checks: readonly SandboxCheck[]): void {
    const images = checks.find((c) => c.name === 'images');
    if (!images || images.ok || images.code !== 'SANDBOX_NO_IMAGE' || this.tried.has(client)) return;
    this.tried.add(client);
    this.log.info(`sandbox images missing (${images.detail}): preparing them`);
    void this.prepare({ sandboxesOnly: true, announce: false });
  }

  /** One preparation at a time; a second request while one runs waits for it. Resolves to whether it succeeded. */
  prepare(req: PrepareRequest): Promise<boolean> {
    return (this.running ??= this.run(req).finally(() => {
      this.running = undefined;
    }));
  }

  private async run(req: PrepareRequest): Promise<boolean> {
    const title = 'Airlock: preparing images';
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        const ac = new AbortController();
        const sub = token.onCancellationRequested(() => ac.abort());
        const say = (line: string) => {
          progress.report({ message: line });
          this.log.info(line);
          this.show({ type: 'preparing', detail: line });
        };
        try {
          say('finding the container engine');
          const runtime = vscode.workspace.getConfiguration('airlock').get<'auto' | 'docker' | 'podman'>('containerRuntime', 'auto');
          const config = readConfig({ workspace: this.workspace() ?? os.homedir(), runtime });
          const engine = await detectEngine(config);
          const t0 = Date.now();
          // AIRLOCK_IMAGE_REGISTRY / AIRLOCK_IMAGE_MANIFEST: pull by digest instead of building (a failure is shown, not built around).
          const ready = await prepareImages(engine, {
            sandboxesOnly: req.sandboxesOnly,
            kernelImage: config.image,
            progress: say,
            signal: ac.signal,
            registry: registryFromEnv(),
          });
          const done = `images ready on ${engine.kind} in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${ready.map((i) => i.kind).join(', ')}`;
          this.log.info(done);
          this.show(undefined);
          this._onDidPrepare.fire();
          if (req.announce) void vscode.window.showInformationMessage(`Airlock: ${done}`);
          return true;
        } catch (err) {
          const e = ac.signal.aborted
            ? new AirlockError('CANCELLED', 'image preparation was cancelled', 'run Airlock: Prepare Images to prepare them')
            : AirlockError.from(err);
          this.log.error(`preparing images: ${formatError(e)}`);
          this.show({ type: 'failed', message: e.message, hint: e.hint });
          void vscode.window.showErrorMessage(`Airlock could not prepare its images: ${e.message}${e.hint ? ` — ${e.hint}` : ''}`);
          return false;
        } finally {
          sub.dispose();
        }
      },
    );
  }
}
