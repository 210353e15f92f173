// Tasks view: the scheduler's tasks (state, priority, dependencies) with cancel/pause/resume, and a kernel error as it is.
import * as vscode from 'vscode';
import { AirlockError, formatError } from '../../../protocol/src/errors';
import { Disposable, Emitter } from '../../../protocol/src/lifecycle';
import type { TaskInfo } from '../../../protocol/src/methods/tasks';
import type { KernelService } from '../kernel/kernelService';
import { onKernelClient } from '../kernelEvents';
import { describeTask, describeUse, taskIcon } from './taskItems';
import { viewErrorText } from '../viewError';

/** The person's task actions, each one typed protocol method. */
type TaskAction = 'tasks/cancel' | 'tasks/pause' | 'tasks/resume';

export class TasksTree extends Disposable implements vscode.TreeDataProvider<TaskInfo> {
  private readonly _onDidChange = this._register(new Emitter<undefined>());
  readonly onDidChangeTreeData = this._onDidChange.event as vscode.Event<undefined>;
  readonly view: vscode.TreeView<TaskInfo>;

  constructor(
    private readonly kernel: KernelService | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.view = this._register(vscode.window.createTreeView('airlock.tasks', { treeDataProvider: this }));
    const cmd = (id: string, method: TaskAction) =>
      this._register(vscode.commands.registerCommand(id, (t: TaskInfo) => this.act(method, t)));
    cmd('airlock.cancelTask', 'tasks/cancel');
    cmd('airlock.pauseTask', 'tasks/pause');
    cmd('airlock.resumeTask', 'tasks/resume');
    this._register(vscode.commands.registerCommand('airlock.refreshTasks', () => this.refresh()));
    // Live: every scheduler change (submitted, started, paused, finished) and every new kernel connection refreshes,
    // coalesced so a burst of changes is one tasks/list.
    if (kernel)
      this._register(
        onKernelClient(kernel, (client) => {
          this.refreshSoon();
          return [client.onEvent('tasks/changed', () => this.refreshSoon())];
        }),
      );
    this._register({ dispose: () => clearTimeout(this.timer) });
  }

  private timer: ReturnType<typeof setTimeout> | undefined;

  refresh(): void {
    this._onDidChange.fire(undefined);
  }

  private refreshSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refresh();
    }, 150);
  }

  async getChildren(node?: TaskInfo): Promise<TaskInfo[]> {
    if (node) return [];
    if (!this.kernel) {
      this.view.message = 'Airlock needs a trusted folder on disk.';
      return [];
    }
    try {
      const r = await (await this.kernel.client()).request('tasks/list', {}, { timeoutMs: 15_000 });
      const use = describeUse(r.limits, r.inUse);
      this.view.message = r.tasks.length ? use || undefined : `No tasks.${use ? ` ${use}` : ''}`;
      return [...r.tasks].sort((a, b) => a.priority - b.priority || a.submittedAt - b.submittedAt);
    } catch (err) {
      this.log.warn(formatError(err));
      this.view.message = viewErrorText(err);
      return [];
    }
  }

  getTreeItem(t: TaskInfo): vscode.TreeItem {
    const item = new vscode.TreeItem(t.title || t.id, vscode.TreeItemCollapsibleState.None);
    item.id = t.id;
    item.description = describeTask(t);
    item.tooltip = `${t.id}\nsubmitted ${new Date(t.submittedAt).toLocaleString()}${t.deadline ? `\ndeadline ${new Date(t.deadline).toLocaleString()}` : ''}\npreemption: ${t.preemption}`;
    const icon = taskIcon(t);
    item.iconPath = new vscode.ThemeIcon(icon.id, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
    item.contextValue = `airlock.task.${t.state}`;
    item.accessibilityInformation = { label: `Task ${t.title || t.id}: ${item.description}` };
    return item;
  }

  private async act(method: TaskAction, t: TaskInfo): Promise<void> {
    try {
      if (method === 'tasks/cancel') {
        const ok = 'Cancel task';
        const pick = await vscode.window.showWarningMessage(
          `Cancel "${t.title || t.id}"?`,
          { modal: true, detail: 'Its sandboxes are stopped and its edits discarded: only a task that completes makes a patch set.' },
          ok,
        );
        if (pick !== ok) return;
      }
      if (!this.kernel) throw new AirlockError('TASKS_UNAVAILABLE', 'Airlock needs a trusted folder on disk');
      await (await this.kernel.client()).request(method, { id: t.id }, { timeoutMs: 15_000 });
      this.refresh();
    } catch (err) {
      this.log.error(formatError(err));
      void vscode.window.showErrorMessage(viewErrorText(err));
    }
  }
}
