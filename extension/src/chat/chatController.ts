// Runs chat sessions against the kernel: start/cancel/approve tasks, fold task events into the session model, persist.
import * as vscode from 'vscode';
import type { AgentMode, TaskEvent } from '../../../protocol/src/agent';
import { AirlockError, formatError } from '../../../protocol/src/errors';
import { events } from '../../../protocol/src/events';
import { Disposable, Emitter, IDisposable } from '../../../protocol/src/lifecycle';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import type { ApprovalAnswer, ChatOp, ChatSnapshot } from '../../../protocol/src/webview';
import type { KernelService } from '../kernel/kernelService';
import { readAgentSettings } from '../settings';
import { approvalDecisions, onOptionalEvent } from '../webview/capabilities';
import { addPatchSet, addUserMessage, answerApproval, applyTaskEvent, ChatSession, lastPrompt, newSession, taskStarted } from './sessionModel';
import { SessionStore } from './sessionStore';
import { patchSetFromEvent } from './patchEvents';

export class ChatController extends Disposable {
  private readonly sessions = new Map<string, ChatSession>();
  private current: ChatSession;
  private readonly store: SessionStore;
  private client?: RpcClient;
  private clientSubs: IDisposable[] = [];
  /** Events that arrive before task/start has returned the task id. */
  private early = new Map<string, { seq: number; event: TaskEvent }[]>();
  private readonly _onOps = this._register(new Emitter<{ sessionId: string; ops: ChatOp[]; sentAt: number }>());
  readonly onOps = this._onOps.event;
  private readonly _onSnapshot = this._register(new Emitter<void>());
  readonly onSnapshot = this._onSnapshot.event;

  constructor(private readonly kernel: KernelService | undefined, memento: vscode.Memento, private readonly log: vscode.LogOutputChannel, private readonly unavailable: string | null = null) {
    super();
    this.store = new SessionStore(memento);
    this._register(this.store);
    const loaded = this.store.load();
    for (const s of loaded.sessions) this.sessions.set(s.id, s);
    this.current = (loaded.currentId && this.sessions.get(loaded.currentId)) || this.createSession();
  }

  get session(): ChatSession { return this.current; }

  snapshot(): ChatSnapshot {
    const s = this.current;
    const decisions = approvalDecisions();
    return {
      sessionId: s.id, title: s.title, items: s.items, running: s.running, taskId: s.taskId, mode: s.mode, usage: s.usage,
      sessions: [...this.sessions.values()].sort((a, b) => b.updatedAt - a.updatedAt).map((x) => ({ id: x.id, title: x.title, updatedAt: x.updatedAt, items: x.items.length })),
      approvals: { allowOnce: decisions.includes('allow'), allowSession: decisions.includes('allow-session'), deny: decisions.includes('deny') },
      unavailable: this.unavailable ?? (this.kernel ? null : 'Airlock needs a trusted folder on disk.'),
    };
  }

  newSession(): void {
    if (this.current.running) void this.stop();
    this.current = this.createSession();
    this.changed();
  }

  openSession(id: string): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.current = s;
    this.changed();
  }

  setMode(mode: AgentMode): void {
    this.current.mode = mode;
    this.emit([{ type: 'mode', mode }]);
  }

  /** Starts a task for `text` in the current session; resolves with the task id once the kernel accepted it. */
  async send(text: string): Promise<string> {
    const s = this.current;
    if (s.running) throw new AirlockError('CHAT_BUSY', 'a task is already running in this session', 'stop it first or open a new session');
    if (!this.kernel) throw new AirlockError('CHAT_UNAVAILABLE', this.snapshot().unavailable ?? 'Airlock is not enabled');
    this.emit(addUserMessage(s, text, Date.now()));
    try {
      const client = await this.connect();
      const settings = readAgentSettings();
      const { taskId } = await client.request('task/start', { prompt: text, mode: s.mode, provider: settings.provider, model: settings.model, budgets: settings.budgets }, { timeoutMs: 30_000 });
      this.emit(taskStarted(s, taskId));
      for (const e of (this.early.get(taskId) ?? []).sort((a, b) => a.seq - b.seq)) this.emit(applyTaskEvent(s, taskId, e.event, Date.now()));
      this.early.delete(taskId);
      return taskId;
    } catch (err) {
      this.log.error(formatError(err));
      this.emit(applyTaskEvent(s, s.taskId ?? '', { type: 'finished', status: 'failed', message: 'the task could not start', error: AirlockError.from(err).toPayload() }, Date.now()));
      this.emit([{ type: 'upsert', item: { type: 'notice', id: `n${s.nextId++}`, level: 'error', text: `Could not start the task: ${formatError(err)}` } }]);
      throw err;
    }
  }

  async retry(): Promise<void> {
    const prompt = lastPrompt(this.current);
    if (prompt) await this.send(prompt);
  }

  async stop(): Promise<void> {
    const s = this.current;
    if (!s.running || !s.taskId || !this.client) return;
    await this.client.request('task/cancel', { taskId: s.taskId }, { timeoutMs: 10_000 });
  }

  async approve(requestId: string, answer: ApprovalAnswer, note?: string): Promise<void> {
    const s = [...this.sessions.values()].find((x) => x.items.some((i) => i.type === 'approval' && i.id === requestId));
    const item = s?.items.find((i) => i.type === 'approval' && i.id === requestId);
    if (!s || !item || item.type !== 'approval' || !this.client) return;
    const decision = answer === 'allow-once' ? 'allow' : answer === 'deny' ? 'deny' : 'allow-session';
    if (!approvalDecisions().includes(decision)) {
      throw new AirlockError('CHAT_APPROVAL_UNSUPPORTED', `"${answer}" is not available in this kernel`, 'answer Allow once or Deny');
    }
    await this.client.request('task/approve', { taskId: item.taskId, requestId, decision: decision as 'allow' | 'deny', note }, { timeoutMs: 10_000 });
    this.emit(answerApproval(s, requestId, answer, note), s);
  }

  private createSession(): ChatSession {
    const settings = readAgentSettings();
    const s = newSession(`s_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`, settings.mode, Date.now(), { maxTokens: settings.budgets?.maxTokens, maxCostUsd: settings.budgets?.maxCostUsd });
    this.sessions.set(s.id, s);
    return s;
  }

  private async connect(): Promise<RpcClient> {
    const client = await this.kernel!.client();
    if (client === this.client) return client;
    for (const d of this.clientSubs) d.dispose();
    this.client = client;
    this.clientSubs = [client.onEvent('task/event', (d) => this.onTaskEvent(d.taskId, d.seq, d.event))];
    // Patch-set events, when this kernel's protocol has them: a link from the chat to the review.
    for (const name of Object.keys(events).filter((n) => n.startsWith('patch'))) {
      const sub = onOptionalEvent(client, name, (data) => {
        const p = patchSetFromEvent(data);
        const s = p && [...this.sessions.values()].find((x) => x.taskId === p.taskId);
        if (p && s) this.emit(addPatchSet(s, p), s);
      });
      if (sub) this.clientSubs.push(sub);
    }
    return client;
  }

  private onTaskEvent(taskId: string, seq: number, event: TaskEvent): void {
    const s = [...this.sessions.values()].find((x) => x.taskId === taskId);
    if (!s) {
      const list = this.early.get(taskId) ?? [];
      if (list.length < 10_000) list.push({ seq, event });
      this.early.set(taskId, list);
      return;
    }
    this.emit(applyTaskEvent(s, taskId, event, Date.now()), s);
  }

  private emit(ops: ChatOp[], s: ChatSession = this.current): void {
    if (!ops.length) return;
    this._onOps.fire({ sessionId: s.id, ops, sentAt: Date.now() });
    this.store.save(() => ({ currentId: this.current.id, sessions: [...this.sessions.values()] }));
  }

  private changed(): void {
    this._onSnapshot.fire();
    this.store.save(() => ({ currentId: this.current.id, sessions: [...this.sessions.values()] }), 0);
  }

  override dispose(): void {
    void this.store.flush({ currentId: this.current.id, sessions: [...this.sessions.values()] });
    for (const d of this.clientSubs) d.dispose();
    super.dispose();
  }
}
