// `@` completion in the composer: while `@query` is typed before the caret, the folder's matching files are listed;
// ↑/↓ move, Enter or Tab takes one (replacing `@query` with `@path `), Escape closes the list.
import { escapeHtml } from '../shared/markdown';

type Composer = HTMLElement & { value: string; wrappedElement?: HTMLTextAreaElement };

export class MentionList {
  private paths: string[] = [];
  private active = 0;
  private requestId = 0;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly input: Composer,
    private readonly el: HTMLElement,
    private readonly ask: (requestId: number, query: string) => void,
  ) {
    el.addEventListener('mousedown', (e) => {
      const i = (e.target as HTMLElement).closest<HTMLElement>('[data-index]')?.dataset.index;
      if (i !== undefined) {
        e.preventDefault();
        this.take(Number(i));
      }
    });
  }

  get open(): boolean {
    return !this.el.hidden;
  }

  /** The `@query` ending at the caret, if any. */
  private query(): { start: number; end: number; text: string } | undefined {
    const ta = this.input.wrappedElement;
    const end = ta?.selectionStart ?? this.input.value.length;
    const m = /(^|\s)@([\w./+~-]*)$/.exec(this.input.value.slice(0, end));
    return m ? { start: end - m[2]!.length - 1, end, text: m[2]! } : undefined;
  }

  /** After each keystroke: ask the host (debounced) or close. */
  onInput(): void {
    if (this.timer) clearTimeout(this.timer);
    const q = this.query();
    if (!q) {
      this.close();
      return;
    }
    this.timer = setTimeout(() => this.ask(++this.requestId, q.text), 120);
  }

  /** The host's answer; an answer to an older query is dropped. */
  show(requestId: number, paths: string[]): void {
    if (requestId !== this.requestId || !this.query()) return;
    this.paths = paths;
    this.active = 0;
    this.render();
  }

  /** Keys while the list is open; true when the key was the list's (the composer must not act on it). */
  onKey(e: KeyboardEvent): boolean {
    if (!this.open) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      this.active = (this.active + (e.key === 'ArrowDown' ? 1 : this.paths.length - 1)) % this.paths.length;
      this.render();
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      this.take(this.active);
    } else if (e.key === 'Escape') {
      this.close();
    } else {
      return false;
    }
    e.preventDefault();
    e.stopPropagation();
    return true;
  }

  private take(i: number): void {
    const q = this.query();
    const p = this.paths[i];
    this.close();
    if (!q || !p) return;
    const v = this.input.value;
    this.input.value = `${v.slice(0, q.start)}@${p} ${v.slice(q.end)}`;
    const caret = q.start + p.length + 2;
    this.input.wrappedElement?.setSelectionRange(caret, caret);
    this.input.dispatchEvent(new Event('input'));
    this.close();
  }

  close(): void {
    this.el.hidden = true;
    this.paths = [];
  }

  private render(): void {
    this.el.hidden = this.paths.length === 0;
    this.el.innerHTML = this.paths
      .map(
        (p, i) =>
          `<div role="option" id="mention-${i}" data-index="${i}" class="mention${i === this.active ? ' active' : ''}"` +
          ` aria-selected="${i === this.active}">@${escapeHtml(p)}</div>`,
      )
      .join('');
    this.input.setAttribute('aria-activedescendant', this.paths.length ? `mention-${this.active}` : '');
  }
}
