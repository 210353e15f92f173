// Tasks view: the scheduler's tasks (state, priority, dependencies) with cancel/pause/resume, and a kernel error as it is.
import * as vscode from 'vscode';
import { AirlockError, formatError } from '../../../protocol/src/errors';
import { Disposable, Emitter } from '../../../protocol/src/lifecycle';
import { ResourceName, type Resources, type TaskInfo } from '../../../protocol/src/methods/tasks';
import type { KernelService } from '../kernel/kernelService';
import { viewErrorText } from '../viewError';

/** The person's task actions, each one typed protocol method. */
type TaskAction = 'tasks/cancel' | 'tasks/pause' | 'tasks/resume';

const ICONS: Record<TaskInfo['state'], string> = { waiting: 'watch', queued: 'list-ordered', running: 'sync~spin', paused: 'debug-pause', done: 'pass', failed: 'error', cancelled: 'circle-slash' };

export function describeTask(t: TaskInfo, now = Date.now()): string {
  const parts: string[] = [t.state, `p${t.priority}`];
  if (t.deps.length) parts.push(`after ${t.deps.join(', ')}`);
  if (t.state === 'running' && t.startedAt) parts.push(`${Math.round((now - t.startedAt) / 1000)} s`);
  if (t.pausedBy) parts.push(`paused by ${t.pausedBy}`);
  if (t.reason) parts.push(t.reason);
  return parts.join(' · ');
}

/** "sandboxes 1/2 · cpu 0/4": each limited resource's use against its limit. */
export function describeUse(limits: Resources, inUse: Resources): string {
  return ResourceName.options.filter((k) => limits[k] !== undefined).map((k) => `${k} ${inUse[k] ?? 0}/${limits[k]}`).join(' · ');
}

export class TasksTree extends Disposable implements vscode.TreeDataProvider<TaskInfo> {
  private readonly _onDidChange = this._register(new Emitter<undefined>());
  readonly onDidChangeTreeData = this._onDidChange.event as vscode.Event<undefined>;
  readonly view: vscode.TreeView<TaskInfo>;

  constructor(private readonly kernel: KernelService | undefined, private readonly log: vscode.LogOutputChannel) {
    super();
    this.view = this._register(vscode.window.createTreeView('airlock.tasks', { treeDataProvider: this }));
    const cmd = (id: string, method: TaskAction) =>
      this._register(vscode.commands.registerCommand(id, (t: TaskInfo) => this.act(method, t)));
    cmd('airlock.cancelTask', 'tasks/cancel');
    cmd('airlock.pauseTask', 'tasks/pause');
    cmd('airlock.resumeTask', 'tasks/resume');
    this._register(vscode.commands.registerCommand('airlock.refreshTasks', () => this.refresh()));
  }

  refresh(): void { this._onDidChange.fire(undefined); }

  async getChildren(node?: TaskInfo): Promise<TaskInfo[]> {
    if (node) return [];
    if (!this.kernel) { this.view.message = 'Airlock needs a trusted folder on disk.'; return []; }
    try {
      const r = await (await this.kernel.client()).request('tasks/list', {}, { timeoutMs: 15_000 });
      const use = describeUse(r.limits, r.inUse);
      this.view.message = r.tasks.length ? (use || undefined) : `No tasks.${use ? ` ${use}` : ''}`;
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
    item.iconPath = new vscode.ThemeIcon(ICONS[t.state]);
    item.contextValue = `airlock.task.${t.state}`;
    item.accessibilityInformation = { label: `Task ${t.title || t.id}: ${item.description}` };
    return item;
  }

  private async act(method: TaskAction, t: TaskInfo): Promise<void> {
    try {
      if (!this.kernel) throw new AirlockError('TASKS_UNAVAILABLE', 'Airlock needs a trusted folder on disk');
      await (await this.kernel.client()).request(method, { id: t.id }, { timeoutMs: 15_000 });
      this.refresh();
    } catch (err) {
      this.log.error(formatError(err));
      void vscode.window.showErrorMessage(viewErrorText(err));
    }
  }
}
