// Status bar item mirroring the kernel's state; clicking it shows the kernel status.
import * as vscode from 'vscode';
import type { KernelState } from '../../../bootstrap';
import { Disposable, toDisposable } from '../../../protocol/src/lifecycle';

export class KernelStatusBar extends Disposable {
  private readonly item = vscode.window.createStatusBarItem('airlock.kernel', vscode.StatusBarAlignment.Left, 100);

  constructor() {
    super();
    this._register(toDisposable(() => this.item.dispose()));
    this.item.name = 'Airlock Kernel';
    this.item.command = 'airlock.showKernelStatus';
    this.item.show();
  }

  update(s: KernelState | { type: 'idle' } | { type: 'untrusted' }): void {
    const [icon, text, tip] = ((): [string, string, string] => {
      switch (s.type) {
        case 'idle': return ['$(shield)', 'Airlock', 'Airlock kernel not started'];
        case 'untrusted': return ['$(workspace-untrusted)', 'Airlock: off', 'Airlock stays disabled in untrusted workspaces'];
        case 'starting': return ['$(loading~spin)', 'Airlock: starting', s.detail];
        case 'ready': return ['$(shield)', 'Airlock: ready', 'Airlock kernel is running'];
        case 'restarting': return ['$(sync~spin)', 'Airlock: restarting', `restart attempt ${s.attempt}: ${s.reason}`];
        case 'failed': return ['$(error)', 'Airlock: failed', `${s.error.message}${s.error.hint ? `\n${s.error.hint}` : ''}`];
        case 'stopped': return ['$(circle-slash)', 'Airlock: stopped', 'Airlock kernel is stopped'];
        default: { const never: never = s; return never; }
      }
    })();
    this.item.text = `${icon} ${text}`;
    this.item.tooltip = tip;
    this.item.accessibilityInformation = { label: `${text}. ${tip}` };
  }
}
