// Runs chat sessions against the kernel: start/cancel/approve tasks, fold task events into the session model, persist.
import * as vscode from 'vscode';
import { AgentMode, base64Bytes, type ImageInput, type TaskEvent } from '../../../protocol/src/agent';
import { AirlockError, formatError } from '../../../protocol/src/errors';
import type { EventData } from '../../../protocol/src/events';
import { Disposable, Emitter } from '../../../protocol/src/lifecycle';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import type { TaskStartParams } from '../../../protocol/src/methods/agent';
import type { ApprovalAnswer, ChatOp, ChatSetup, ChatSnapshot } from '../../../protocol/src/webview';
import { RECORDED_SESSION } from './onboarding';
import type { KernelService } from '../kernel/kernelService';
import { onKernelClient } from '../kernelEvents';
import { readAgentSettings } from '../settings';
import { taskStartParams } from '../taskParams';
import { ANSWER_DECISION, approvalChoices } from './approvals';
import { ApprovalDiffs } from './approvalDiffs';
import {
  addPatchSet,
  addUserMessage,
  answerApproval,
  applyTaskEvent,
  type ChatSession,
  conversation,
  interruptTask,
  lastPrompt,
  newSession,
  notice,
  setApprovalPreview,
  taskStarted,
} from './sessionModel';
import { interruptReason, noModel } from './taskEnds';
import { SessionStore, type StoredChats } from './sessionStore';
import { autoMergeCriteria } from './kernelSettings';
import { rewindSession } from './rewind';
import { dequeue, enqueue, refuseMessage, unqueueToDraft } from './queue';
import { type Attached, type EditorContext, gatherContext, parseMentions, withContext } from './context';
import { vscodeEditorContext } from './editorContext';
import { cardState, reopenedProposal, sessionProposal, sessionsWithSet, setCardState, supersedeEarlier } from './patchSetCards';
import { pickContextFile, suggestContextFiles } from './filePicker';

const LAST_MODE_KEY = 'airlock.chat.lastMode';

/** What the chat's patch-set card shows about a set (from review/show). */
export type DescribeSet = (setId: string) => Promise<{ files: number; added: number; removed: number } | undefined>;

export class ChatController extends Disposable {
  private readonly sessions = new Map<string, ChatSession>();
  private current: ChatSession;
  private readonly store: SessionStore;
  private client?: RpcClient;
  /** Every task started from this window, to its session: patch sets can arrive after the session moved on. */
  private readonly taskSessions = new Map<string, string>();
  /** Events that arrive before task/start has returned the task id. */
  private early = new Map<string, { seq: number; event: TaskEvent }[]>();
  private readonly _onOps = this._register(new Emitter<{ sessionId: string; ops: ChatOp[]; sentAt: number }>());
  readonly onOps = this._onOps.event;
  private readonly _onSnapshot = this._register(new Emitter<void>());
  readonly onSnapshot = this._onSnapshot.event;
  private readonly _onPatchSet = this._register(new Emitter<EventData<'patches/ready'>>());
  readonly onPatchSet = this._onPatchSet.event;
  private readonly diffs: ApprovalDiffs;
  private readonly memento: vscode.Memento;
  private setup?: ChatSetup;
  private readonly editor: EditorContext;

  constructor(
    private readonly kernel: KernelService | undefined,
    memento: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
    private readonly unavailable: string | null = null,
    private readonly describeSet: DescribeSet = async () => undefined,
    private readonly root?: vscode.Uri,
    /** The extension's storage folder for this workspace, on this machine (sessions are written there at once). */
    storageDir?: string,
  ) {
    super();
    this.diffs = this._register(new ApprovalDiffs(root));
    this.editor = vscodeEditorContext(root);
    this.memento = memento;
    this.store = new SessionStore(memento, storageDir);
    this._register(this.store);
    const loaded = this.store.load();
    for (const s of loaded.sessions) {
      this.sessions.set(s.id, s);
      if (s.taskId) this.taskSessions.set(s.taskId, s.id);
    }
    this.current = (loaded.currentId && this.sessions.get(loaded.currentId)) || this.createSession();
    // Listen on every connection (first start and after each restart), not only once a prompt was sent.
    if (kernel) {
      this._register(
        onKernelClient(kernel, (client) => {
          this.client = client;
          return [
            client.onEvent('task/event', (d) => this.onTaskEvent(d.taskId, d.seq, d.event)),
            client.onEvent('patches/ready', (d) => void this.onPatchesReady(d)),
          ];
        }),
      );
      // A kernel that stops being ready (crash, restart, failure) took its tasks with it: no `finished` will come.
      this._register(
        kernel.onDidChangeState((st) => {
          if (st.type !== 'ready') this.interruptAll(interruptReason(st));
        }),
      );
    }
  }

  get session(): ChatSession {
    return this.current;
  }

  snapshot(): ChatSnapshot {
    const s = this.current;
    return {
      sessionId: s.id,
      title: s.title,
      items: s.items,
      running: s.running,
      taskId: s.taskId,
      mode: s.mode,
      usage: s.usage,
      sessions: [...this.sessions.values()]
        .sort((a, b) => b.updatedAt - a.updatedAt)
        .map((x) => ({ id: x.id, title: x.title, updatedAt: x.updatedAt, items: x.items.length })),
      approvals: approvalChoices(),
      ...(s.draft ? { draft: s.draft } : {}),
      ...(this.setup ? { setup: this.setup } : {}),
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
    // New sessions start in the mode last chosen here (the setting is only the first default).
    void this.memento.update(LAST_MODE_KEY, mode);
    this.emit([{ type: 'mode', mode }]);
  }

  /** The first-run form shows while this is set (onboarding.ts watches the settings and stored keys). */
  setSetup(setup: ChatSetup | undefined): void {
    this.setup = setup;
    this._onSnapshot.fire();
  }

  /** Puts `text` into the current session's composer (a prompt that could not run yet). */
  keepDraft(text: string): void {
    this.current.draft = text;
    this.changed();
  }

  /** No model can run a task yet: the chat shows its first-run form. */
  get setupPending(): boolean {
    return !!this.setup;
  }

  /** The form was saved: the session says what it will use (and what this folder overrides). */
  setupSaved(provider: string, overridden: string[]): void {
    const s = this.current;
    const text =
      `Set up: tasks use ${provider} (saved in your user settings; the key, if any, in VS Code's secret storage).` +
      (overridden.length ? ` This folder's settings set ${overridden.join(' and ')}, which win here.` : '');
    this.emit([notice(s, overridden.length ? 'warn' : 'info', text)], s);
  }

  /** "Try it with a recorded session": one explore task replayed from Airlock's example recording (no model, no key). */
  async tryRecorded(): Promise<string> {
    return this.send('Fix median() so it sorts numbers by value (a recorded session of examples/sample-project)', {
      provider: 'replay',
      replay: RECORDED_SESSION,
      mode: 'explore',
      model: undefined,
      baseUrl: undefined,
    });
  }

  /** What the person is typing in the current session: kept with the session, so a reload or a switch keeps it. */
  setDraft(sessionId: string, text: string): void {
    const s = this.sessions.get(sessionId);
    if (!s || (s.draft ?? '') === text) return;
    s.draft = text || undefined;
    this.store.save(() => this.stored(), 500);
  }

  /** Every running task of this window ends as interrupted, with the reason (the kernel went away). */
  private interruptAll(reason: string): void {
    for (const s of this.sessions.values()) {
      this.emit([...interruptTask(s, reason, Date.now()), ...unqueueToDraft(s)], s);
    }
  }

  /**
   * The composer's Send: while this session runs a task the message waits in its queue (said in the transcript) and
   * starts when the task finishes; otherwise it starts now.
   */
  async submit(text: string, images?: ImageInput[]): Promise<void> {
    const s = this.current;
    if (!s.running) {
      await this.send(text, images ? { images } : {});
      return;
    }
    // Queued messages are kept with the session (workspace storage): pictures are not, so they wait for Send.
    if (images?.length)
      throw new AirlockError('CHAT_BUSY', 'a task is running: a message with images is not queued', 'send it when the task ends');
    this.emit(enqueue(s, text), s);
  }

  /** The next queued message of `s`, once its task finished (a failed start leaves the rest queued: Send runs them). */
  private drainQueue(s: ChatSession): void {
    const next = dequeue(s);
    if (next === undefined) return;
    void this.send(next, {}, s).catch((err) => this.log.warn(`queued message not started: ${formatError(err)}`));
  }

  /** Starts a task for `text` in the current session; resolves with the task id once the kernel accepted it. */
  async send(text: string, override: Partial<TaskStartParams> = {}, session?: ChatSession): Promise<string> {
    const s = session ?? this.current;
    if (s.running) throw new AirlockError('CHAT_BUSY', 'a task is already running in this session', 'stop it first or open a new session');
    if (!this.kernel) throw new AirlockError('CHAT_UNAVAILABLE', this.snapshot().unavailable ?? 'Airlock is not enabled');
    // A follow-up carries the conversation so far: one chat session is one conversation with the agent.
    const history = conversation(s);
    // ...and starts from its proposal: the volume begins as the newest of the session's patch sets still under review.
    const proposal = sessionProposal(s);
    const first = s.items.length === 0;
    const attached = await this.attach(s, text);
    s.draft = undefined;
    const pictures = (override.images ?? []).map(
      (i, n) => `image ${n + 1} (${i.mediaType.slice(6)}, ${Math.ceil(base64Bytes(i.data) / 1024)} KB)`,
    );
    this.emit(addUserMessage(s, text, Date.now(), [...attached.map((a) => a.label), ...pictures]), s);
    if (first) this._onSnapshot.fire(); // the session list shows the new title (taken from this first prompt)
    try {
      const client = await this.connect();
      const config = vscode.workspace.getConfiguration('airlock');
      // The auto-merge criteria go with every task; an allowed set arrives as patches/ready autoMerge and is merged here.
      const params = {
        ...taskStartParams(withContext(text, attached), s.mode, readAgentSettings()),
        autoMerge: autoMergeCriteria((k) => config.get(k)),
        chat: true, // a turn of this conversation: the kernel keeps its provider worker for the next one
        ...(history.length ? { history } : {}),
        ...(proposal.length ? { proposal } : {}),
        ...override,
      };
      // Continue this chat's workflow session; a kernel that lost it (fresh state) gets a new one instead.
      const started = s.workflowSessionId
        ? await client.request('task/start', { ...params, sessionId: s.workflowSessionId }, { timeoutMs: 30_000 }).catch((err) => {
            if ((err as { code?: string }).code !== 'WORKFLOW_NO_SESSION') throw err;
            this.log.warn(`workflow session ${s.workflowSessionId} not resumed (${formatError(err)}); starting a new one`);
            return client.request('task/start', params, { timeoutMs: 30_000 });
          })
        : await client.request('task/start', params, { timeoutMs: 30_000 });
      const taskId = started.taskId;
      if (started.sessionId) s.workflowSessionId = started.sessionId;
      this.taskSessions.set(taskId, s.id);
      this.emit(taskStarted(s, taskId), s);
      for (const e of (this.early.get(taskId) ?? []).sort((a, b) => a.seq - b.seq))
        this.emit(applyTaskEvent(s, taskId, e.event, Date.now()), s);
      this.early.delete(taskId);
      return taskId;
    } catch (err) {
      this.log.error(formatError(err));
      this.emit(
        applyTaskEvent(
          s,
          s.taskId ?? '',
          { type: 'finished', status: 'failed', message: 'the task could not start', error: AirlockError.from(err).toPayload() },
          Date.now(),
        ),
        s,
      );
      // The kernel's advice is written for the CLI (flags, environment variables): in VS Code the form is the way.
      const text = noModel(err)
        ? 'No model is set up yet: fill in the form above (provider, model, key), or try a recorded session.'
        : `Could not start the task: ${formatError(err)}`;
      this.emit([notice(s, 'error', text)], s);
      throw err;
    }
  }

  /**
   * The @file / #selection / #problems context of a message (context.ts). Refused (a secret, no selection, too much):
   * nothing is sent, the session says why, and the message goes back to the composer.
   */
  private async attach(s: ChatSession, text: string): Promise<Attached[]> {
    try {
      return parseMentions(text).length ? await gatherContext(text, await this.connect(), this.editor) : [];
    } catch (err) {
      this.log.warn(formatError(err));
      this.emit(refuseMessage(s, text, err), s);
      this._onSnapshot.fire();
      throw err;
    }
  }

  async retry(): Promise<void> {
    const prompt = lastPrompt(this.current);
    if (prompt) await this.send(prompt);
  }

  /** The composer's "@ File": the picked file's path, to insert as `@path`. */
  pickFile(): Promise<string | undefined> {
    return pickContextFile(this.root);
  }

  /** The composer's completion while `@query` is typed. */
  suggestFiles(query: string): Promise<string[]> {
    return suggestContextFiles(this.root, query);
  }

  /** "Rewind to here" on one of the person's messages of the current session (rewind.ts). */
  async rewind(itemId: string): Promise<void> {
    if (!this.kernel) throw new AirlockError('CHAT_UNAVAILABLE', this.snapshot().unavailable ?? 'Airlock is not enabled');
    await rewindSession(this.current, itemId, () => this.connect());
    this.changed();
    this.reopen(this.current);
  }

  async stop(): Promise<void> {
    const s = this.current;
    if (!s.running || !s.taskId || !this.kernel) return;
    // No kernel to ask: the task is gone with it; say so rather than wait for a restart that may not come.
    const st = this.kernel.state;
    if (st.type !== 'ready') {
      this.emit(interruptTask(s, interruptReason(st), Date.now()), s);
      return;
    }
    await (await this.connect()).request('task/cancel', { taskId: s.taskId }, { timeoutMs: 10_000 });
  }

  async approve(requestId: string, answer: ApprovalAnswer, note?: string): Promise<void> {
    const s = [...this.sessions.values()].find((x) => x.items.some((i) => i.type === 'approval' && i.id === requestId));
    const item = s?.items.find((i) => i.type === 'approval' && i.id === requestId);
    if (!s || !item || item.type !== 'approval' || item.state !== 'pending' || !this.kernel) return;
    const client = await this.connect();
    const decision = ANSWER_DECISION[answer];
    const { accepted } = await client.request('task/approve', { taskId: item.taskId, requestId, decision, note }, { timeoutMs: 10_000 });
    if (!accepted)
      throw new AirlockError(
        'CHAT_APPROVAL_EXPIRED',
        'the kernel no longer waits for this approval',
        'the task ended or was answered elsewhere',
      );
    this.emit(answerApproval(s, requestId, answer, note), s);
  }

  private createSession(): ChatSession {
    const settings = readAgentSettings();
    const last = AgentMode.safeParse(this.memento.get(LAST_MODE_KEY));
    const s = newSession(
      `s_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`,
      last.success ? last.data : settings.mode,
      Date.now(),
      { maxTokens: settings.budgets?.maxTokens, maxCostUsd: settings.budgets?.maxCostUsd },
    );
    this.sessions.set(s.id, s);
    return s;
  }

  private async connect(): Promise<RpcClient> {
    // kernel.client() waits through a restart; the event subscriptions follow the ready state (see the constructor).
    const client = await this.kernel!.client();
    this.client = client;
    return client;
  }

  /** A patch set from one of this window's tasks: a card in its session that opens the review. */
  private async onPatchesReady(d: EventData<'patches/ready'>): Promise<void> {
    this._onPatchSet.fire(d);
    const sessionId = d.taskId ? this.taskSessions.get(d.taskId) : undefined;
    const s = sessionId ? this.sessions.get(sessionId) : undefined;
    if (!s) return;
    const stats = await this.describeSet(d.setId).catch((err) => {
      this.log.warn(formatError(err));
      return undefined;
    });
    // Earlier cards first, so the live region ends on the new set.
    if (!s.items.some((i) => i.type === 'patchset' && i.setId === d.setId)) this.emit(supersedeEarlier(s, d.setId, Date.now()), s);
    this.emit(
      addPatchSet(s, {
        setId: d.setId,
        files: stats?.files ?? d.files,
        added: stats?.added ?? 0,
        removed: stats?.removed ?? 0,
        blocked: d.blocked,
        autoMerge: d.autoMerge,
      }),
      s,
    );
  }

  /** Review changed a set (merged, rejected, undone): its cards in this window's sessions say so, saved with them. */
  async patchSetChanged(setId: string): Promise<void> {
    const owners = sessionsWithSet(this.sessions.values(), setId);
    if (!owners.length || !this.kernel) return;
    const shown = await (await this.connect()).request('review/show', { id: setId }, { timeoutMs: 10_000 });
    for (const s of owners) this.emit(setCardState(s, setId, cardState(shown), Date.now()), s);
    for (const s of owners) this.reopen(s);
  }

  /** After a rewind or a rejection the next turn starts from an earlier set again: its card says where review left it. */
  private reopen(s: ChatSession): void {
    const back = reopenedProposal(s);
    if (back) void this.patchSetChanged(back).catch((err) => this.log.warn(formatError(err)));
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
    if (event.type === 'approval-request') void this.addPreview(s, event.requestId);
    if (event.type === 'finished') this.drainQueue(s);
  }

  /** The approval card's diff or command, worked out after the card is on screen (it reads the workspace file). */
  private async addPreview(s: ChatSession, requestId: string): Promise<void> {
    const item = s.items.find((i) => i.type === 'approval' && i.id === requestId);
    if (item?.type !== 'approval') return;
    const preview = await this.diffs.preview(item).catch((err) => {
      this.log.warn(formatError(err));
      return undefined;
    });
    if (preview) this.emit(setApprovalPreview(s, requestId, preview), s);
  }

  /** "Open diff" on an edit approval's card. */
  async openApprovalDiff(requestId: string): Promise<void> {
    for (const s of this.sessions.values()) {
      const item = s.items.find((i) => i.type === 'approval' && i.id === requestId);
      if (item?.type === 'approval') return this.diffs.open(item);
    }
    throw new AirlockError('CHAT_NO_APPROVAL', `no approval ${requestId} in this window's chat sessions`);
  }

  private emit(ops: ChatOp[], s: ChatSession = this.current): void {
    if (!ops.length) return;
    this._onOps.fire({ sessionId: s.id, ops, sentAt: Date.now() });
    // Streamed text and usage are saved debounced; everything else (status, approvals, cards, notices) at once, so a
    // reload right after a task ended still finds it ended.
    const urgent = ops.some((o) => o.type !== 'append' && o.type !== 'usage' && !(o.type === 'upsert' && o.item.type === 'assistant'));
    this.store.save(() => this.stored(), urgent ? 0 : 500);
  }

  private stored(): StoredChats {
    return { currentId: this.current.id, sessions: [...this.sessions.values()] };
  }

  private changed(): void {
    this._onSnapshot.fire();
    this.store.save(() => this.stored(), 0);
  }

  override dispose(): void {
    void this.store.flush(this.stored());
    super.dispose();
  }
}
