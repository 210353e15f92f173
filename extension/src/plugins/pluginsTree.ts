// Plugins view: the kernel's tool plugins (state, capabilities, hash, tools) with approve, revoke and logs. On each
// kernel connection the plugins found on this machine (yours, the built-ins, the workspace's) are handed to the
// kernel, as `airlock run` does, so VS Code's tasks get their tools too. Every call is the typed client's.
import * as vscode from 'vscode';
import { AirlockError, formatError } from '../../../protocol/src/errors';
import { Disposable, Emitter } from '../../../protocol/src/lifecycle';
import type { PluginState } from '../../../protocol/src/methods/plugins';
import { assets } from '../../../protocol/src/node/assets';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import { discoverPlugins, readApprovals, writeApprovals } from '../../../core/src/plugins/discover';
import type { KernelService } from '../kernel/kernelService';
import { onKernelClient } from '../kernelEvents';
import { viewErrorText } from '../viewError';
import { capabilityLines, describePlugin, pluginContext, pluginDetails, pluginIcon, pluginNodes, type PluginNode } from './pluginItems';

/** Verifying is quick; starting takes a sandbox and the plugin's initialisation. */
const START_TIMEOUT_MS = 5 * 60_000;

export class PluginsTree extends Disposable implements vscode.TreeDataProvider<PluginNode> {
  private readonly _onDidChange = this._register(new Emitter<undefined>());
  readonly onDidChangeTreeData = this._onDidChange.event as vscode.Event<undefined>;
  readonly view: vscode.TreeView<PluginNode>;

  constructor(
    private readonly kernel: KernelService | undefined,
    private readonly workspace: string | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.view = this._register(vscode.window.createTreeView('airlock.plugins', { treeDataProvider: this }));
    const reg = (id: string, fn: (n: PluginNode) => Promise<void>) =>
      this._register(vscode.commands.registerCommand(id, (n: PluginNode) => fn(n).catch((err) => this.fail(err))));
    reg('airlock.approvePlugin', (n) => this.approve(n));
    reg('airlock.revokePlugin', (n) => this.revoke(n));
    reg('airlock.showPluginLogs', (n) => this.logs(n));
    this._register(
      vscode.commands.registerCommand('airlock.refreshPlugins', () => this.withClient((c) => this.push(c)).catch((err) => this.fail(err))),
    );
    if (kernel)
      this._register(
        onKernelClient(kernel, (client) => {
          void this.push(client).catch((err) => this.fail(err));
          return [];
        }),
      );
  }

  refresh(): void {
    this._onDidChange.fire(undefined);
  }

  async getChildren(node?: PluginNode): Promise<PluginNode[]> {
    if (node) return node.kind === 'plugin' ? pluginDetails(node.plugin) : [];
    if (!this.kernel) {
      this.view.message = 'Airlock needs a trusted folder on disk.';
      return [];
    }
    try {
      const { plugins } = await (await this.kernel.client()).request('plugins/list', {}, { timeoutMs: 15_000 });
      this.view.message = plugins.length
        ? undefined
        : 'No plugins. Add one with `airlock plugins add DIR`, or put it in .airlock/plugins/.';
      return pluginNodes(plugins);
    } catch (err) {
      this.log.warn(formatError(err));
      this.view.message = viewErrorText(err);
      return [];
    }
  }

  getTreeItem(n: PluginNode): vscode.TreeItem {
    if (n.kind === 'detail') {
      const item = new vscode.TreeItem(n.label, vscode.TreeItemCollapsibleState.None);
      item.id = n.id;
      item.tooltip = n.tooltip;
      item.iconPath = new vscode.ThemeIcon(n.icon);
      return item;
    }
    const p = n.plugin;
    const item = new vscode.TreeItem(p.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `plugin:${p.name}`;
    item.description = describePlugin(p);
    item.tooltip = [`${p.name} (${p.source})`, ...capabilityLines(p.capabilities), `sha256 ${p.sha256}`, p.reason]
      .filter(Boolean)
      .join('\n');
    const icon = pluginIcon(p);
    item.iconPath = new vscode.ThemeIcon(icon.id, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
    item.contextValue = pluginContext(p);
    item.accessibilityInformation = { label: `Plugin ${p.name}: ${item.description}` };
    return item;
  }

  /** The plugins found on this machine, with the person's approvals, to the kernel (which verifies and starts them). */
  private async push(client: RpcClient): Promise<PluginState[]> {
    if (!this.workspace) return [];
    if (this.kernel?.remote) {
      this.log.info('plugins are not started on a remote engine (their files are on this machine; docs/install.md)');
      return [];
    }
    const found = discoverPlugins({ workspace: this.workspace, env: process.env, builtinDir: assets().builtinPluginsDir });
    for (const s of found.skipped) this.log.info(`plugins: skipped ${s}`);
    const { plugins } = await client.request('plugins/configure', { plugins: found.candidates }, { timeoutMs: START_TIMEOUT_MS });
    // A built-in the mode's policy refuses (strict refuses test-tool) is the policy working, not a problem to flag.
    for (const p of plugins) {
      if (p.state !== 'failed') continue;
      if (p.source === 'builtin') this.log.info(`built-in plugin ${p.name} not started: ${p.reason ?? ''}`);
      else this.log.warn(`plugin ${p.name} failed: ${p.reason ?? ''}`);
    }
    this.refresh();
    return plugins;
  }

  private async approve(n: PluginNode): Promise<void> {
    if (n.kind !== 'plugin') return;
    const p = n.plugin;
    const ok = 'Approve';
    const detail = [
      ...capabilityLines(p.capabilities),
      `content sha256 ${p.sha256}`,
      'Approval pins this exact content: any change needs a new approval. It runs in its own sandbox.',
    ].join('\n');
    if ((await vscode.window.showWarningMessage(`Approve plugin ${p.name}?`, { modal: true, detail }, ok)) !== ok) return;
    await this.withClient(async (client) => {
      const r = (await client.request('plugins/approve', { name: p.name, sha256: p.sha256 }, { timeoutMs: START_TIMEOUT_MS })).plugin;
      // Kept on this machine (as `airlock plugins approve` keeps it) so the next kernel starts it without asking.
      writeApprovals(process.env, { ...readApprovals(process.env), [p.name]: { sha256: p.sha256, approvedAt: new Date().toISOString() } });
      this.log.info(`plugin ${p.name} approved at ${p.sha256}: ${r.state}${r.reason ? ` (${r.reason})` : ''}`);
      this.refresh();
    });
  }

  private async revoke(n: PluginNode): Promise<void> {
    if (n.kind !== 'plugin') return;
    const p = n.plugin;
    const ok = 'Revoke';
    if (
      (await vscode.window.showWarningMessage(
        `Revoke the approval of plugin ${p.name}?`,
        { modal: true, detail: 'It is stopped and waits for approval again; its folder stays where it is.' },
        ok,
      )) !== ok
    )
      return;
    const approvals = readApprovals(process.env);
    delete approvals[p.name];
    writeApprovals(process.env, approvals);
    // Sent again without the approval: the kernel stops it and verifies it anew (waiting for approval).
    await this.withClient((client) => this.push(client));
  }

  private async logs(n: PluginNode): Promise<void> {
    if (n.kind !== 'plugin') return;
    await this.withClient(async (client) => {
      const { lines } = await client.request('plugins/logs', { name: n.plugin.name }, { timeoutMs: 15_000 });
      const doc = await vscode.workspace.openTextDocument({ content: lines.join('\n') || '(nothing logged yet)', language: 'log' });
      await vscode.window.showTextDocument(doc, { preview: true });
    });
  }

  private async withClient<T>(fn: (c: RpcClient) => Promise<T>): Promise<T> {
    if (!this.kernel) {
      throw new AirlockError('PLUGINS_UNAVAILABLE', 'Airlock needs a trusted folder on disk', 'open a folder on disk and trust it');
    }
    return fn(await this.kernel.client());
  }

  private fail(err: unknown): void {
    this.log.warn(formatError(err));
    void vscode.window.showErrorMessage(`Airlock: ${viewErrorText(err)}`);
  }
}
