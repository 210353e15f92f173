// The chat panel: header (sessions, mode, meter), virtualised transcript, composer; talks to the host only through the Bridge.
import type { ApprovalAnswer, ApprovalChoices, ChatItem, ChatSetup, ChatSnapshot, HostToWebview } from '../../../protocol/src/webview';
import { AgentMode } from '../../../protocol/src/agent';
import { type Bridge } from '../shared/bridge';
import { escapeHtml } from '../shared/markdown';
import { VirtualList } from '../shared/virtualList';
import { formatUsage, renderItem } from './render';
import { readSetup, renderSetup, syncSetup } from './setup';
import { ChatStore } from './store';
import { addImages, type Pending, renderImages } from './images';
import { MentionList } from './mentions';

type ValueEl = HTMLElement & { value: string; disabled?: boolean };
const PATCHSET_SAID = {
  ready: 'Patch set ready to review',
  merged: 'Patch set merged',
  'partly-merged': 'Patch set partly merged',
  rejected: 'Patch set rejected',
  superseded: 'Patch set superseded by a newer one',
};

export class ChatApp {
  private readonly store = new ChatStore();
  private readonly list: VirtualList<ChatItem>;
  private approvals: ApprovalChoices = { allowOnce: true, allowSession: false, deny: true };
  private sessionId = '';
  private draftTimer?: ReturnType<typeof setTimeout>;
  /** The first-run form on screen (re-rendered only when the host's state changes, so typing is not lost). */
  private setup?: ChatSetup;
  private setupKey = '';
  private readonly el: Record<
    'sessions' | 'mode' | 'meter' | 'meterBar' | 'input' | 'send' | 'stop' | 'retry' | 'newSession' | 'banner' | 'live' | 'log' | 'setup',
    HTMLElement
  >;
  private readonly mentions: MentionList;
  /** Images waiting to go with the next message. */
  private pending: Pending[] = [];
  private readonly images: HTMLElement;
  private readonly composerNote: HTMLElement;
  /** Called after the DOM reflects a host message (the bench measures delta → paint with it). */
  onRendered?: () => void;

  constructor(
    root: HTMLElement,
    private readonly bridge: Bridge,
  ) {
    root.innerHTML = `
<header class="chat-header">
  <vscode-single-select id="sessions" aria-label="Session history" class="grow"></vscode-single-select>
  <vscode-button id="newSession" secondary title="New session (Ctrl+Alt+N)">New</vscode-button>
</header>
<div class="meter"><span id="meter" role="status" aria-live="off"></span><div class="bar"><div id="meterBar"></div></div>
  <vscode-single-select id="mode" aria-label="Mode" title="Mode of this session">${AgentMode.options.map((m) => `<vscode-option value="${m}">${m}</vscode-option>`).join('')}</vscode-single-select></div>
<div id="banner" class="banner" role="alert" hidden></div>
<section id="setup" class="setup" role="region" aria-labelledby="setup-title" hidden></section>
<div id="log" class="log" role="list" aria-label="Conversation" tabindex="0"></div>
<div id="live" class="sr-only" aria-live="polite"></div>
<footer class="composer">
  <div id="mentions" class="mentions" role="listbox" aria-label="Files to mention" hidden></div>
  <vscode-textarea id="input" rows="3" resize="vertical" placeholder="Describe a task (Enter to send, Shift+Enter for a new line)" aria-label="Task for the agent"></vscode-textarea>
  <div class="composer-context" role="toolbar" aria-label="Add context to the message">
    <vscode-button id="addFile" secondary title="Attach a workspace file (@path; read through the policy)" aria-label="Attach a file">@ File</vscode-button>
    <vscode-button id="addSelection" secondary title="Attach the active editor's selection (#selection)" aria-label="Attach the editor selection">#selection</vscode-button>
    <vscode-button id="addProblems" secondary title="Attach the workspace's problems (#problems)" aria-label="Attach the problems">#problems</vscode-button>
    <vscode-button id="addImage" secondary title="Attach an image (or paste one into the message)" aria-label="Attach an image">Image</vscode-button>
    <input id="imageFile" type="file" accept="image/png,image/jpeg,image/gif,image/webp" multiple hidden>
  </div>
  <div id="images" class="attachments" aria-label="Images attached to the message" hidden></div>
  <div id="composerNote" class="composer-note" role="alert" hidden></div>
  <div class="composer-actions">
    <vscode-button id="send">Send</vscode-button>
    <vscode-button id="stop" secondary hidden title="Stop (Escape)" aria-keyshortcuts="Escape">Stop</vscode-button>
    <vscode-button id="retry" secondary title="Run the last prompt again">Retry</vscode-button>
  </div>
</footer>`;
    const q = (id: string) => root.querySelector<HTMLElement>(`#${id}`)!;
    this.images = q('images');
    this.mentions = new MentionList(q('input') as ValueEl, q('mentions'), (requestId, query) =>
      this.bridge.post({ type: 'chat/completeFile', requestId, query }),
    );
    this.composerNote = q('composerNote');
    this.el = {
      sessions: q('sessions'),
      mode: q('mode'),
      meter: q('meter'),
      meterBar: q('meterBar'),
      input: q('input'),
      send: q('send'),
      stop: q('stop'),
      retry: q('retry'),
      newSession: q('newSession'),
      banner: q('banner'),
      live: q('live'),
      log: q('log'),
      setup: q('setup'),
    };
    const saved = bridge.getState();
    this.list = new VirtualList<ChatItem>({
      container: this.el.log,
      estimate: 64,
      key: (x) => x.id,
      stickToBottom: true,
      render: (item, row) => renderItem(item, row, this.approvals),
      onScroll: (top, atBottom) => this.bridge.setState({ scrollTop: top, stickToBottom: atBottom }),
    });
    this.wire(root);
  }

  /** Pasted or picked images join the message (checked against task/start's caps; a refusal is said under the composer). */
  private async attachImages(files: File[]): Promise<void> {
    const refused = await addImages(this.pending, files).catch((err: Error) => err.message);
    renderImages(this.images, this.pending);
    this.note(refused && `Image not attached: ${refused}.`);
  }

  private note(text?: string): void {
    this.composerNote.hidden = !text;
    this.composerNote.textContent = text ?? '';
    if (text) this.say(text, true);
  }

  /** Adds `text` to the composer (after a space when needed), keeps the draft and gives the composer the focus. */
  private insert(text: string): void {
    const input = this.el.input as ValueEl;
    input.value = `${input.value}${input.value && !/\s$/.test(input.value) ? ' ' : ''}${text}`;
    input.dispatchEvent(new Event('input'));
    input.focus();
  }

  private wire(root: HTMLElement): void {
    const input = this.el.input as ValueEl;
    const send = () => {
      const text = input.value.trim();
      // While a task runs the host queues the message (it starts when the task ends).
      if (!text) return;
      const images = this.pending.map(({ mediaType, data }) => ({ mediaType, data }));
      this.bridge.post({ type: 'chat/send', text, ...(images.length ? { images } : {}) });
      input.value = '';
      this.pending = [];
      renderImages(this.images, this.pending);
      this.note();
      if (this.draftTimer) clearTimeout(this.draftTimer);
      this.draftTimer = undefined;
      this.list.scrollToBottom();
    };
    // The host keeps the draft with the session (debounced): it survives a reload and a session switch.
    input.addEventListener('input', () => {
      if (this.draftTimer) clearTimeout(this.draftTimer);
      const sessionId = this.sessionId;
      this.draftTimer = setTimeout(() => {
        this.draftTimer = undefined;
        this.bridge.post({ type: 'chat/draft', sessionId, text: input.value });
      }, 300);
    });
    input.addEventListener('input', () => this.mentions.onInput());
    input.addEventListener('keydown', (e: KeyboardEvent) => {
      if (this.mentions.onKey(e)) return;
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        send();
      }
    });
    input.addEventListener('blur', () => setTimeout(() => this.mentions.close(), 150));
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.store.running) {
        e.preventDefault();
        this.bridge.post({ type: 'chat/stop' });
      }
      if (e.key.toLowerCase() === 'n' && e.ctrlKey && e.altKey) {
        e.preventDefault();
        this.bridge.post({ type: 'chat/new' });
      }
    });
    this.el.send.addEventListener('click', send);
    root.querySelector('#addFile')!.addEventListener('click', () => this.bridge.post({ type: 'chat/pickFile' }));
    root.querySelector('#addSelection')!.addEventListener('click', () => this.insert('#selection '));
    root.querySelector('#addProblems')!.addEventListener('click', () => this.insert('#problems '));
    const file = root.querySelector<HTMLInputElement>('#imageFile')!;
    root.querySelector('#addImage')!.addEventListener('click', () => file.click());
    file.addEventListener('change', () => {
      void this.attachImages([...(file.files ?? [])]);
      file.value = '';
    });
    input.addEventListener('paste', (e: ClipboardEvent) => {
      const files = [...(e.clipboardData?.files ?? [])].filter((f) => f.type.startsWith('image/'));
      if (files.length) {
        e.preventDefault();
        void this.attachImages(files);
      }
    });
    this.images.addEventListener('click', (e) => {
      const i = (e.target as HTMLElement).closest<HTMLElement>('[data-remove-image]')?.dataset.removeImage;
      if (i === undefined) return;
      this.pending.splice(Number(i), 1);
      renderImages(this.images, this.pending);
    });
    this.el.stop.addEventListener('click', () => this.bridge.post({ type: 'chat/stop' }));
    this.el.retry.addEventListener('click', () => this.bridge.post({ type: 'chat/retry' }));
    this.el.newSession.addEventListener('click', () => this.bridge.post({ type: 'chat/new' }));
    this.el.mode.addEventListener('change', () => {
      const mode = AgentMode.safeParse((this.el.mode as ValueEl).value);
      if (mode.success && mode.data !== this.store.mode) this.bridge.post({ type: 'chat/setMode', mode: mode.data });
    });
    this.el.sessions.addEventListener('change', () => {
      const id = (this.el.sessions as ValueEl).value;
      if (id && id !== this.sessionId) this.bridge.post({ type: 'chat/openSession', sessionId: id });
    });
    this.el.setup.addEventListener('change', () => {
      if (this.setup) syncSetup(this.el.setup, this.setup);
    });
    this.el.setup.addEventListener('click', (e) => {
      const id = (e.target as HTMLElement).closest<HTMLElement>('vscode-button')?.id;
      if (id === 'setup-try') this.bridge.post({ type: 'chat/tryRecorded' });
      if (id !== 'setup-save') return;
      const r = readSetup(this.el.setup);
      if ('error' in r) this.say(r.error, true);
      else this.bridge.post({ type: 'chat/setup', answer: r.answer });
    });
    // Buttons inside rows are re-rendered freely, so their clicks are handled by delegation.
    // Open Chat (Ctrl+Alt+A) focuses the view: with nothing focused in it, the cursor goes to the composer.
    // After the focus settles: a focus() made inside the window's focus event is undone as the frame takes the focus.
    const toComposer = () =>
      setTimeout(() => {
        if (document.activeElement === document.body || !document.activeElement) input.focus();
      }, 0);
    window.addEventListener('focus', toComposer);
    if (document.hasFocus()) toComposer(); // the view got the focus before this script ran
    this.el.log.addEventListener('click', (e) => {
      const target = (e.target as HTMLElement).closest<HTMLElement>('[data-action]');
      if (!target || target.hasAttribute('disabled')) return;
      if (target.dataset.action === 'approve') {
        const id = target.dataset.id!;
        const note = (this.el.log.querySelector<ValueEl>(`[data-note-for="${CSS.escape(id)}"]`)?.value ?? '').trim();
        this.bridge.post({ type: 'chat/approve', requestId: id, answer: target.dataset.answer as ApprovalAnswer, note: note || undefined });
        // The answered card re-renders without its buttons: the focus goes back to the composer, not to nowhere.
        input.focus();
      } else if (target.dataset.action === 'open-diff') {
        this.bridge.post({ type: 'chat/openApprovalDiff', requestId: target.dataset.id! });
      } else if (target.dataset.action === 'copy-code' || target.dataset.action === 'insert-code') {
        // The code block right after this button bar; its text is what the model wrote, highlighting stripped.
        const pre = target.closest('.code-actions')?.nextElementSibling;
        const text = pre?.querySelector('code')?.textContent ?? '';
        if (text) this.bridge.post({ type: 'chat/code', action: target.dataset.action === 'copy-code' ? 'copy' : 'insert', text });
      } else if (target.dataset.action === 'rewind') {
        if (!this.store.running) this.bridge.post({ type: 'chat/rewind', itemId: target.dataset.id! });
      } else if (target.dataset.action === 'open-patchset') {
        this.bridge.post({ type: 'chat/openPatchSet', setId: target.dataset.set! });
      } else if (target.dataset.action === 'merge-patchset') {
        this.bridge.post({ type: 'chat/mergePatchSet', setId: target.dataset.set! });
        input.focus(); // the merged card re-renders without this button
      }
    });
  }

  handle(m: HostToWebview): void {
    switch (m.type) {
      case 'chat/snapshot':
        this.snapshot(m.snapshot);
        break;
      case 'chat/ops': {
        if (m.sessionId !== this.sessionId) return;
        const r = this.store.apply(m.ops);
        if (r.added) this.list.setItems(this.store.items);
        for (const i of r.changed) this.list.update(i, this.store.items[i]!);
        if (r.meta) this.renderMeta();
        // Streamed text reaches the DOM in this task, so the very next frame paints it (not the one after).
        this.list.flush();
        for (const op of m.ops) this.announce(op.type === 'upsert' ? op.item : undefined);
        break;
      }
      case 'chat/insert':
        this.insert(m.text);
        break;
      case 'chat/focus':
        // A frame without the focus may not take it (Chromium): then the window's focus event above does it.
        setTimeout(() => this.el.input.focus(), 0);
        break;
      case 'chat/fileSuggestions':
        this.mentions.show(m.requestId, m.paths);
        break;
      case 'error':
        this.say(`${m.error.message}${m.error.hint ? ` (${m.error.hint})` : ''}`, true);
        break;
      case 'audit/stats':
      case 'audit/page':
      case 'audit/verification':
      case 'audit/entry':
        break;
      default: {
        const never: never = m;
        return never;
      }
    }
    this.onRendered?.();
  }

  private snapshot(s: ChatSnapshot): void {
    const switched = s.sessionId !== this.sessionId;
    this.sessionId = s.sessionId;
    // A new view or another session shows that session's draft; the same session keeps what is being typed.
    const input = this.el.input as ValueEl;
    // A rewind hands its message back (rewound: the list got shorter): the composer shows it to edit and resend.
    const rewound = !switched && s.draft !== undefined && s.items.length < this.store.items.length;
    if (switched || rewound || (!input.value && s.draft)) input.value = s.draft ?? '';
    this.approvals = s.approvals;
    this.store.reset(s);
    this.el.sessions.innerHTML = s.sessions
      .map(
        (x) =>
          `<vscode-option value="${escapeHtml(x.id)}"${x.id === s.sessionId ? ' selected' : ''}>${escapeHtml(x.title)} (${x.items})</vscode-option>`,
      )
      .join('');
    (this.el.sessions as ValueEl).value = s.sessionId;
    this.el.sessions.title = `Session: ${s.title}`;
    this.list.setItems(this.store.items);
    const saved = this.bridge.getState();
    if (!switched || saved.stickToBottom !== false) this.list.scrollToBottom();
    else if (saved.scrollTop !== undefined) this.list.scrollTo(saved.scrollTop);
    this.el.banner.hidden = !s.unavailable;
    this.el.banner.textContent = s.unavailable ?? '';
    this.showSetup(s.unavailable ? undefined : s.setup, s.items.length > 0);
    this.renderMeta();
  }

  private renderMeta(): void {
    const running = this.store.running;
    this.el.stop.hidden = !running;
    this.el.send.toggleAttribute('disabled', !this.el.banner.hidden || !!this.setup);
    this.el.send.textContent = running ? 'Queue' : 'Send';
    this.el.send.title = running ? 'Runs when the current task ends' : '';
    this.el.retry.toggleAttribute('disabled', running);
    (this.el.mode as ValueEl).value = this.store.mode;
    const u = formatUsage(this.store.usage);
    this.el.meter.textContent = u.text;
    this.el.meterBar.style.width = u.ratio === null ? '0' : `${Math.round(u.ratio * 100)}%`;
    this.el.meterBar.parentElement!.hidden = u.ratio === null;
    this.el.meterBar.classList.toggle('over', (u.ratio ?? 0) >= 0.9);
    this.el.log.setAttribute('aria-busy', String(running));
  }

  private showSetup(setup: ChatSetup | undefined, folded: boolean): void {
    const key = JSON.stringify([setup ?? null, folded]);
    if (key === this.setupKey) return;
    this.setupKey = key;
    const had = !!this.setup;
    this.setup = setup;
    this.el.setup.hidden = !setup;
    this.el.setup.innerHTML = renderSetup(setup, folded);
    if (setup) syncSetup(this.el.setup, setup);
    else if (had) this.list.scrollToBottom(); // the form is gone: the transcript (and what the setup says next) is in view
  }

  /** Screen readers hear finished answers, approvals and notices once, not every streamed token. */
  private announce(item: ChatItem | undefined): void {
    if (!item) return;
    if (item.type === 'assistant' && !item.streaming) this.say(`Airlock: ${item.text.slice(0, 500)}`);
    else if (item.type === 'approval' && item.state === 'pending') this.say(`Approval needed for ${item.toolName}: ${item.reason}`);
    else if (item.type === 'notice') this.say(item.text);
    else if (item.type === 'patchset')
      this.say(`${PATCHSET_SAID[item.state ?? 'ready']}: ${item.files} file${item.files === 1 ? '' : 's'}`);
  }

  private say(text: string, alert = false): void {
    this.el.live.setAttribute('aria-live', alert ? 'assertive' : 'polite');
    this.el.live.textContent = text;
  }
}
