// Sandboxes view: what the kernel's container manager is running (template, state, age); "not available" until the kernel offers it.
import * as vscode from 'vscode';
import { z } from 'zod';
import { formatError } from '../../../protocol/src/errors';
import { Disposable, Emitter } from '../../../protocol/src/lifecycle';
import type { KernelService } from '../kernel/kernelService';
import { NOT_AVAILABLE, requestOptional } from '../webview/capabilities';

/** The fields this view shows; anything else the kernel sends is ignored. */
export const SandboxRow = z.object({
  id: z.string(), template: z.string().optional(), state: z.string().optional(), session: z.string().nullable().optional(),
  createdAt: z.number().optional(), image: z.string().optional(), pooled: z.boolean().optional(),
}).loose();
export type SandboxRow = z.infer<typeof SandboxRow>;
const SandboxList = z.union([z.object({ sandboxes: z.array(SandboxRow) }).loose(), z.array(SandboxRow)]);

export const SANDBOX_LIST_METHOD = 'sandbox/list';

export class SandboxesTree extends Disposable implements vscode.TreeDataProvider<SandboxRow> {
  private readonly _onDidChange = this._register(new Emitter<undefined>());
  readonly onDidChangeTreeData = this._onDidChange.event as vscode.Event<undefined>;
  readonly view: vscode.TreeView<SandboxRow>;

  constructor(private readonly kernel: KernelService | undefined, private readonly log: vscode.LogOutputChannel) {
    super();
    this.view = this._register(vscode.window.createTreeView('airlock.sandboxes', { treeDataProvider: this }));
  }

  refresh(): void { this._onDidChange.fire(undefined); }

  async getChildren(node?: SandboxRow): Promise<SandboxRow[]> {
    if (node) return [];
    if (!this.kernel) { this.view.message = 'Airlock needs a trusted folder on disk.'; return []; }
    try {
      const r = await requestOptional<unknown>(await this.kernel.client(), SANDBOX_LIST_METHOD, {}, { timeoutMs: 15_000 });
      if (!r.ok) { this.view.message = `Sandbox listing is ${NOT_AVAILABLE}.`; return []; }
      const parsed = SandboxList.safeParse(r.value);
      if (!parsed.success) { this.view.message = 'The kernel sent a sandbox list this view does not understand.'; return []; }
      const rows = Array.isArray(parsed.data) ? parsed.data : parsed.data.sandboxes;
      this.view.message = rows.length ? undefined : 'No sandboxes running.';
      return rows;
    } catch (err) {
      this.log.warn(formatError(err));
      this.view.message = (err as Error).message;
      return [];
    }
  }

  getTreeItem(s: SandboxRow): vscode.TreeItem {
    const item = new vscode.TreeItem(s.id, vscode.TreeItemCollapsibleState.None);
    item.description = [s.template, s.state, s.pooled ? 'pooled' : undefined, s.createdAt ? `${Math.round((Date.now() - s.createdAt) / 1000)} s` : undefined].filter(Boolean).join(' · ');
    item.tooltip = [`id: ${s.id}`, s.image && `image: ${s.image}`, s.session && `session: ${s.session}`].filter(Boolean).join('\n');
    item.iconPath = new vscode.ThemeIcon(s.state === 'failed' ? 'error' : s.state === 'running' ? 'vm-running' : s.state === 'paused' ? 'debug-pause' : 'vm');
    item.contextValue = 'airlock.sandbox';
    return item;
  }
}
