// Status bar item mirroring the kernel's state and its sandboxes' health; clicking it shows the kernel status.
import * as vscode from 'vscode';
import { Disposable, toDisposable } from '../../../protocol/src/lifecycle';
import type { SandboxCheck } from '../../../protocol/src/sandbox-health';
import { type ImagesState, statusText, type StatusState } from './statusText';

type StatusBar = { attention: { kind: 'idle' | 'working' | 'waiting' | 'error'; text: string; tooltip: string } };

export class KernelStatusBar extends Disposable {
  private readonly item = vscode.window.createStatusBarItem('airlock.kernel', vscode.StatusBarAlignment.Left, 100);
  private state: StatusState = { type: 'idle' };
  private sandbox: readonly SandboxCheck[] = [];
  private images: ImagesState | undefined;
  private attention: { kind: 'idle' | 'working' | 'waiting' | 'error'; text: string; tooltip: string } = {
    kind: 'idle',
    text: '',
    tooltip: '',
  };

  constructor() {
    super();
    this._register(toDisposable(() => this.item.dispose()));
    this.item.name = 'Airlock Kernel';
    this.item.command = 'airlock.showKernelStatus';
    this.item.show();
  }

  update(s: StatusState): void {
    // A new connection (restart) is checked again: its sandbox health is unknown until the watcher reports.
    const fresh = s.type === 'ready' && (this.state.type !== 'ready' || this.state.client !== s.client);
    if (s.type !== 'ready' || fresh) {
      this.sandbox = [];
      // Not "ready" until the sandbox checks say the images are there (a preparation under way goes on regardless).
      if (this.images?.type !== 'preparing') this.images = fresh ? { type: 'unchecked' } : undefined;
    }
    this.state = s;
    this.render();
  }

  /** The latest sandbox image and warm pool checks of the ready kernel (sandbox/pools health). */
  updateSandbox(checks: readonly SandboxCheck[]): void {
    this.sandbox = checks;
    const found = checks.find((c) => c.name === 'images')?.ok;
    if (this.images?.type === 'unchecked' || (this.images?.type === 'failed' && found)) this.images = undefined;
    this.render();
  }

  /** Image preparation in progress or failed; undefined when it finished (the next sandbox checks say the rest). */
  updateImages(images: ImagesState | undefined): void {
    this.images = images;
    this.render();
  }

  /** The chat's state: working, waiting for you (an approval), error; idle leaves the kernel's own text. */
  updateAttention(a: StatusBar['attention']): void {
    this.attention = a;
    this.render();
  }

  private render(): void {
    let [icon, text, tip] = statusText(this.state, this.sandbox, this.images);
    const a = this.attention;
    // A running kernel's "ready" gives way to what the chat needs; a kernel problem is still said first.
    const show = a.kind !== 'idle' && this.state.type === 'ready' && (text === 'Airlock: ready' || a.kind === 'waiting');
    if (show) {
      icon = a.kind === 'waiting' ? '$(bell-dot)' : a.kind === 'error' ? '$(error)' : '$(loading~spin)';
      tip = text === 'Airlock: ready' ? a.tooltip : `${a.tooltip}\n\n${text}: ${tip}`;
      text = a.text;
    }
    this.item.text = `${icon} ${text}`;
    this.item.tooltip = tip;
    this.item.command = show && a.kind !== 'working' ? 'airlock.openChat' : 'airlock.showKernelStatus';
    this.item.backgroundColor = show && a.kind === 'waiting' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.accessibilityInformation = { label: `${text}. ${tip}` };
  }
}
