// The Audit Log as a webview view in the Panel (beside Problems and Output), kept alive while hidden so it reopens at once.
import * as vscode from 'vscode';
import { DisposableStore, type IDisposable, toDisposable } from '../../../protocol/src/lifecycle';
import type { KernelService } from '../kernel/kernelService';
import { webviewOptions } from '../webview/html';
import { AuditController } from './auditController';

export const AUDIT_VIEW_ID = 'airlock.audit';
/** The editor panel the Audit Log used to be; a window restored with one open closes it (the view replaced it). */
export const LEGACY_AUDIT_PANEL_TYPE = 'airlock.auditLog';

/**
 * Why a view and not an editor panel: creating a webview costs about a second in code-server (its iframe registers a
 * service worker per webview, then loads and compiles the bundle), every time an editor panel is opened, since closing
 * it destroys it. A view with retainContextWhenHidden pays that once per window; hiding the Panel keeps the document,
 * so reopening shows the rows it had and refreshes them. One provider per extension lifetime, registered once (VS Code
 * resolves a view once): the kernel changes with the folder (`attach`), the view stays and gets a new controller.
 */
export class AuditViewProvider implements vscode.WebviewViewProvider {
  private static instance?: AuditViewProvider;
  private view?: vscode.WebviewView;
  private controller?: AuditController;
  private viewStore = new DisposableStore();
  private kernel: KernelService | undefined;

  private constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The extension's provider, registered on first use and unregistered when the extension deactivates. */
  static shared(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): AuditViewProvider {
    if (!AuditViewProvider.instance) {
      const p = new AuditViewProvider(context.extensionUri, log);
      AuditViewProvider.instance = p;
      const registration = vscode.window.registerWebviewViewProvider(AUDIT_VIEW_ID, p, {
        webviewOptions: { retainContextWhenHidden: true },
      });
      context.subscriptions.push(registration, {
        dispose: () => {
          p.controller?.dispose();
          p.viewStore.dispose();
          if (AuditViewProvider.instance === p) AuditViewProvider.instance = undefined;
        },
      });
    }
    return AuditViewProvider.instance;
  }

  /** Points the view at `kernel` (undefined: the view says why it cannot read the log); disposing it detaches. */
  attach(kernel: KernelService | undefined): IDisposable {
    this.kernel = kernel;
    this.rebuild();
    return toDisposable(() => {
      if (this.kernel !== kernel) return;
      this.kernel = undefined;
      this.rebuild();
    });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.viewStore.dispose();
    this.viewStore = new DisposableStore();
    this.view = view;
    view.webview.options = webviewOptions(this.extensionUri);
    this.rebuild();
    // Shown again after the Panel was hidden: the rows it had are on screen at once; new entries (and a check of the
    // chain if they call for one) follow, the table keeping its rows while it asks.
    this.viewStore.add(view.onDidChangeVisibility(() => (view.visible ? void this.controller?.shown() : undefined)));
    this.viewStore.add(
      view.onDidDispose(() => {
        if (this.view !== view) return;
        this.view = undefined;
        this.controller?.dispose();
        this.controller = undefined;
        this.viewStore.dispose();
      }),
    );
  }

  /** Shows the view: its focus command opens the Panel on it (resolving it the first time) and puts the keyboard in it. */
  async show(): Promise<void> {
    await vscode.commands.executeCommand(`${AUDIT_VIEW_ID}.focus`);
  }

  /** A new controller (and document) for the current view and kernel. */
  private rebuild(): void {
    this.controller?.dispose();
    this.controller = this.view ? new AuditController(this.view.webview, this.extensionUri, this.kernel, this.log) : undefined;
  }
}

/** Closes an Audit Log editor panel restored from a window of an older version: the Panel's view is the Audit Log now. */
export class LegacyAuditPanelCloser implements vscode.WebviewPanelSerializer {
  async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
    panel.dispose();
  }
}
