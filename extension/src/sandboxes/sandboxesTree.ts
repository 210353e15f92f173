// Sandboxes view: what the kernel's container manager is running (template, state, age), or the kernel's error as it is.
import * as vscode from 'vscode';
import { formatError } from '../../../protocol/src/errors';
import { Disposable, Emitter } from '../../../protocol/src/lifecycle';
import type { SandboxInfo } from '../../../protocol/src/methods/sandbox';
import type { KernelService } from '../kernel/kernelService';
import { viewErrorText } from '../viewError';

export class SandboxesTree extends Disposable implements vscode.TreeDataProvider<SandboxInfo> {
  private readonly _onDidChange = this._register(new Emitter<undefined>());
  readonly onDidChangeTreeData = this._onDidChange.event as vscode.Event<undefined>;
  readonly view: vscode.TreeView<SandboxInfo>;

  constructor(
    private readonly kernel: KernelService | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.view = this._register(vscode.window.createTreeView('airlock.sandboxes', { treeDataProvider: this }));
  }

  refresh(): void {
    this._onDidChange.fire(undefined);
  }

  async getChildren(node?: SandboxInfo): Promise<SandboxInfo[]> {
    if (node) return [];
    if (!this.kernel) {
      this.view.message = 'Airlock needs a trusted folder on disk.';
      return [];
    }
    try {
      // The typed client validates the reply against sandbox/list's schema (a malformed one is an RPC_BAD_RESULT error).
      const { sandboxes } = await (await this.kernel.client()).request('sandbox/list', {}, { timeoutMs: 15_000 });
      this.view.message = sandboxes.length ? undefined : 'No sandboxes running.';
      return sandboxes;
    } catch (err) {
      this.log.warn(formatError(err));
      this.view.message = viewErrorText(err);
      return [];
    }
  }

  getTreeItem(s: SandboxInfo): vscode.TreeItem {
    const item = new vscode.TreeItem(s.id, vscode.TreeItemCollapsibleState.None);
    item.description = [s.template, s.state, `${Math.round((Date.now() - s.createdAt) / 1000)} s`].join(' · ');
    item.tooltip = [`id: ${s.id}`, s.image && `image: ${s.image}`, s.session && `session: ${s.session}`].filter(Boolean).join('\n');
    item.iconPath = new vscode.ThemeIcon(
      s.state === 'failed' ? 'error' : s.state === 'running' ? 'vm-running' : s.state === 'paused' ? 'debug-pause' : 'vm',
    );
    item.contextValue = 'airlock.sandbox';
    return item;
  }
}
