// Terminal rendering for `airlock chat`: light markdown (headings, bold, inline code, fences, lists), diffs, event lines.
// Colour only on a TTY and never with NO_COLOR; without colour the text passes through unchanged (scripts see the source).

export interface Style {
  colour: boolean;
}

const SGR = { bold: '1', dim: '2', underline: '4', red: '31', green: '32', yellow: '33', blue: '34', magenta: '35', cyan: '36' };
type Sgr = keyof typeof SGR;

/** Wraps `text` in ANSI attributes when colour is on. */
export function paint(style: Style, text: string, ...attrs: Sgr[]): string {
  if (!style.colour || !attrs.length || !text) return text;
  return `\x1b[${attrs.map((a) => SGR[a]).join(';')}m${text}\x1b[0m`;
}

/** https://no-color.org: any non-empty NO_COLOR turns colour off; otherwise colour only when the stream is a terminal. */
export function colourFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): Style {
  return { colour: !!stream.isTTY && !env.NO_COLOR && env.TERM !== 'dumb' };
}

/** Strips ANSI sequences (for width and tests). */
export const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

/** `**bold**` and `` `code` `` inside a line. */
function inline(style: Style, text: string): string {
  return text
    .replace(/`([^`]+)`/g, (_, c: string) => paint(style, c, 'cyan'))
    .replace(/\*\*([^*]+)\*\*|__([^_]+)__/g, (_, a?: string, b?: string) => paint(style, a ?? b ?? '', 'bold'));
}

/** One diff line: additions green, removals red, hunk headers cyan, file headers bold. */
export function diffLine(style: Style, line: string): string {
  if (/^(\+\+\+|---) /.test(line) || /^diff /.test(line)) return paint(style, line, 'bold');
  if (line.startsWith('+')) return paint(style, line, 'green');
  if (line.startsWith('-')) return paint(style, line, 'red');
  if (line.startsWith('@@')) return paint(style, line, 'cyan');
  return line;
}

export interface MarkdownState {
  fence: string | null;
}

/** Renders one complete markdown line; `state` tracks whether we are inside a ``` fence (and its language). */
export function markdownLine(style: Style, line: string, state: MarkdownState): string {
  const fence = /^\s*(```|~~~)\s*([\w+-]*)/.exec(line);
  if (fence) {
    state.fence = state.fence === null ? fence[2] || '' : null;
    return paint(style, line, 'dim');
  }
  if (state.fence !== null) return state.fence === 'diff' || state.fence === 'patch' ? diffLine(style, line) : paint(style, line, 'yellow');
  const heading = /^(#{1,6})\s+(.*)$/.exec(line);
  if (heading) {
    const title = inline({ colour: false }, heading[2]!);
    return heading[1]!.length === 1 ? paint(style, title, 'bold', 'underline') : paint(style, title, 'bold');
  }
  const item = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/.exec(line);
  if (item) return `${item[1]}${paint(style, /\d/.test(item[2]!) ? item[2]! : '•', 'cyan')} ${inline(style, item[3]!)}`;
  const quote = /^\s*>\s?(.*)$/.exec(line);
  if (quote) return paint(style, `│ ${quote[1]}`, 'dim');
  return inline(style, line);
}

/**
 * Streams model text token by token and, on a colour terminal, redraws each completed line with its markdown styling
 * (the raw tokens stay visible while the line is being written). Without colour, tokens are written as they come.
 */
export class MarkdownStream {
  private line = '';
  private readonly state: MarkdownState = { fence: null };

  constructor(
    private readonly style: Style,
    private readonly write: (s: string) => void,
    private readonly columns: () => number,
  ) {}

  push(chunk: string): void {
    if (!this.style.colour) {
      this.write(chunk);
      this.track(chunk);
      return;
    }
    const parts = chunk.split('\n');
    parts.forEach((part, i) => {
      if (part) {
        this.write(part);
        this.line += part;
      }
      if (i < parts.length - 1) this.endLine();
    });
  }

  /** Ends a partial line (the turn's text stopped without a newline). */
  flush(): void {
    if (this.style.colour && this.line) this.redraw();
    this.line = '';
  }

  private endLine(): void {
    this.redraw();
    this.write('\n');
    this.line = '';
  }

  private redraw(): void {
    const styled = markdownLine(this.style, this.line, this.state);
    if (styled === this.line) return;
    // Back to the start of the line as the terminal wrapped it, clear to the end of the screen, then the styled line.
    const cols = Math.max(1, this.columns());
    const rows = Math.max(1, Math.ceil(this.line.length / cols));
    this.write(`\r${rows > 1 ? `\x1b[${rows - 1}A` : ''}\x1b[J${styled}`);
  }

  /** Keeps the fence state right in plain mode too, so a later switch to colour would not invert it. */
  private track(chunk: string): void {
    const parts = (this.line + chunk).split('\n');
    for (const l of parts.slice(0, -1)) markdownLine({ colour: false }, l, this.state);
    this.line = parts.at(-1) ?? '';
  }
}

/** Colours one event line of formatEvent (tool calls, results, asks, workflow, status) by its leading mark. */
export function eventLine(style: Style, line: string): string {
  if (!style.colour) return line;
  if (line.startsWith('\n')) return `\n${eventLine(style, line.slice(1))}`;
  if (line.startsWith('→ ')) return paint(style, '→ ', 'blue') + paint(style, line.slice(2), 'bold');
  if (/^ {2}✓ /.test(line)) return paint(style, line, 'green');
  if (/^ {2}✗ /.test(line)) return paint(style, line, 'red');
  if (line.startsWith('? ')) return paint(style, line, 'yellow', 'bold');
  if (line.startsWith('◆ ') || line.startsWith('… ')) return paint(style, line, 'magenta');
  if (line === '[completed]') return paint(style, line, 'green');
  if (/^\[[a-z-]+\]/.test(line)) return paint(style, line, 'red');
  // `review show --diff` lines are indented by two: colour them as a diff.
  if (/^ {2}[-+@]/.test(line)) return `  ${diffLine(style, line.slice(2))}`;
  return line;
}
