// The Audit Log webview's host side: pages entries from the kernel and verifies the chain (for the view in auditView.ts).
import type * as vscode from 'vscode';
import { AirlockError, formatError } from '../../../protocol/src/errors';
import { Disposable } from '../../../protocol/src/lifecycle';
import type { AuditStats, AuditVerifyReport } from '../../../protocol/src/audit';
import type { HostToWebview, WebviewToHost } from '../../../protocol/src/webview';
import type { KernelService } from '../kernel/kernelService';
import { WebviewBridge } from '../webview/bridge';
import { renderHtml } from '../webview/html';
import { AuditFirstScreen, checkOnShow, type FirstRead } from './firstScreen';

/**
 * How long the page waits for its first screen from the kernel (usually a few ms) before it is set without it (then the
 * ready handshake brings it). Hidden in code-server, where the webview's frame takes far longer to be ready for it.
 */
const FIRST_SCREEN_WAIT_MS = 100;
const NO_FOLDER = 'Airlock needs a trusted folder on disk.';

/**
 * One audit webview's host side: pages entries from the kernel, verifies the chain, answers the first screen early.
 * Bound to one webview and one kernel; the view provider (auditView.ts) makes a new one when either changes.
 */
export class AuditController extends Disposable {
  private readonly bridge: WebviewBridge;
  /** Stats and the newest page, asked for as the view opens (firstScreen.ts); undefined without a kernel. */
  private readonly first: AuditFirstScreen | undefined;

  constructor(
    webview: vscode.Webview,
    extensionUri: vscode.Uri,
    private readonly kernel: KernelService | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    // The HTML is set once the first screen is read (load): until then the webview still shows the page it replaces.
    this.bridge = this._register(new WebviewBridge(webview, 'audit', log, { htmlLater: true }));
    this.first = kernel
      ? new AuditFirstScreen(
          {
            stats: async () => (await this.client()).request('audit/stats', {}, { timeoutMs: 30_000 }),
            newest: async (cursor, limit) =>
              (await this.client()).request('audit/query', { cursor, limit, order: 'desc', payloads: false }, { timeoutMs: 30_000 }),
          },
          (err) => this.log.warn(`audit view: its first screen was not read early (${formatError(err)}); the view asks again`),
        )
      : undefined;
    void this.load(webview, extensionUri).catch((err: unknown) => this.log.error(`audit view: its page was not set (${formatError(err)})`));
    // Each time the view (re)loads it checks the chain now: a "last check" from the kernel's start says nothing about
    // the entries written since. With the first rows read early, the check never holds them up.
    this._register(this.bridge.onReady(({ seeded }) => void (seeded ? this.verify() : this.sendStats().then(() => this.verify()))));
    this._register(this.bridge.onMessage((m) => void this.handle(m)));
  }

  /** Sets the page, its first screen in it when the kernel answers in time: the rows need no round trip to the host. */
  private async load(webview: vscode.Webview, extensionUri: vscode.Uri): Promise<void> {
    const first = await this.first?.within(FIRST_SCREEN_WAIT_MS);
    if (this._store.isDisposed) return; // replaced meanwhile (a new kernel or view): the page is the new one's
    const screen: HostToWebview[] | undefined = !this.kernel
      ? [{ type: 'audit/stats', stats: null, unavailable: NO_FOLDER }]
      : first && [statsMessage(first)];
    webview.html = renderHtml(webview, extensionUri, 'audit', 'Airlock Audit Log', screen);
    this.bridge.opened();
  }

  /** The view shown again: new stats (the table keeps its rows and adds the new ones), a check if they call for one. */
  async shown(): Promise<void> {
    const stats = await this.sendStats();
    if (checkOnShow(this.lastReport, stats)) await this.verify();
  }

  private async handle(m: WebviewToHost): Promise<void> {
    switch (m.type) {
      case 'audit/query':
        return this.guard(async () => {
          const client = await this.client();
          const page = await client.request(
            'audit/query',
            { ...m.request.filter, cursor: m.request.cursor, limit: m.request.limit, order: 'desc', payloads: false },
            { timeoutMs: 30_000 },
          );
          this.bridge.post({ type: 'audit/page', requestId: m.request.requestId, entries: page.entries, nextCursor: page.nextCursor });
        }, m.request.requestId);
      case 'audit/entry':
        return this.guard(async () => {
          const client = await this.client();
          const page = await client.request(
            'audit/query',
            { cursor: m.seq + 1, limit: 1, order: 'desc', payloads: true },
            { timeoutMs: 10_000 },
          );
          const entry = page.entries.find((e) => e.seq === m.seq) ?? null;
          this.bridge.post({ type: 'audit/entry', entry });
        });
      case 'audit/verify':
        return this.verify();
      case 'audit/refresh':
        await this.sendStats();
        return;
      case 'ready':
      case 'chat/send':
      case 'chat/stop':
      case 'chat/retry':
      case 'chat/new':
      case 'chat/openSession':
      case 'chat/approve':
      case 'chat/setMode':
      case 'chat/openPatchSet':
      case 'chat/mergePatchSet':
      case 'chat/openApprovalDiff':
      case 'chat/draft':
      case 'chat/rewind':
      case 'chat/pickFile':
      case 'chat/code':
      case 'chat/completeFile':
      case 'chat/setup':
      case 'chat/tryRecorded':
        this.log.warn(`audit view ignored ${m.type}`);
        return;
      default: {
        const never: never = m;
        return never;
      }
    }
  }

  private verifying?: Promise<void>;
  /** This view's last check of the chain (checkOnShow). */
  private lastReport?: AuditVerifyReport;

  /** One verification at a time: a second request while one runs shares its result. */
  verify(): Promise<void> {
    if (!this.kernel) return Promise.resolve();
    this.verifying ??= (async () => {
      this.bridge.post({ type: 'audit/verification', report: null, running: true });
      let done = false;
      await this.guard(async () => {
        const report = await (await this.client()).request('audit/verify', {}, { timeoutMs: 120_000 });
        this.lastReport = report;
        this.bridge.post({ type: 'audit/verification', report, running: false });
        done = true;
      });
      if (!done) this.bridge.post({ type: 'audit/verification', report: null, running: false });
    })().finally(() => {
      this.verifying = undefined;
    });
    return this.verifying;
  }

  /** Posts the stats (read early for the first load, else now); returns them, undefined when they could not be read. */
  private async sendStats(): Promise<AuditStats | undefined> {
    if (!this.kernel) {
      this.bridge.post({ type: 'audit/stats', stats: null, unavailable: NO_FOLDER });
      return undefined;
    }
    let read = await this.first?.take();
    if (!read)
      await this.guard(async () => {
        read = { stats: await (await this.client()).request('audit/stats', {}, { timeoutMs: 30_000 }) };
      });
    if (read) this.bridge.post(statsMessage(read));
    return read?.stats;
  }

  private async client() {
    if (!this.kernel) throw new AirlockError('AUDIT_UNAVAILABLE', 'Airlock needs a trusted folder on disk');
    return this.kernel.client();
  }

  private async guard(fn: () => Promise<void>, requestId?: number): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.log.error(formatError(err));
      // Any kernel error, an unknown method included, reaches the webview with its code and hint (no "not available").
      this.bridge.post({ type: 'error', error: AirlockError.from(err).toPayload(), requestId });
    }
  }
}

/** The stats message for a read (with the newest page when it was read with them). */
function statsMessage(r: FirstRead): HostToWebview {
  return { type: 'audit/stats', stats: r.stats, unavailable: null, ...(r.newest ? { newest: r.newest } : {}) };
}
