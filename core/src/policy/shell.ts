// Shell command-line parser for `exec`: splits a line into the simple commands it would run, so each is judged.
import { emitCommand, LimitError, ParseError, ShellState, type Stdin, type Word } from './shell-commands';

export { ParseError };

export const MAX_COMMAND_LENGTH = 8192;
const MAX_DEPTH = 16;

/** Why a command line can be no better than `ask`. */
export type Cap =
  'substitution' | 'redirection' | 'expansion' | 'assignment' | 'indirection' | 'background' | 'writes-file' | 'runs-program';

export interface SubCommand {
  /** Words joined by one space, quotes removed; substitutions appear as `$()`, expansions as `$`. */
  text: string;
  /** A reading (e.g. `rm` for `/bin/rm`, `rm x` for `nice -n 5 rm x`): only deny/ask rules count, never allow or default deny. */
  shadow?: boolean;
  /** A command the parser cannot know (dynamic argv[0], `eval "$x"`, `curl … | sh`): every deny/ask exec rule counts. */
  any?: boolean;
}

export type ParsedCommand = { ok: true; commands: SubCommand[]; caps: Cap[] } | { ok: false; reason: string };

const SIMPLE = /^[A-Za-z0-9_.\/ \t:=,+@%-]*$/;

interface Heredoc {
  delim: string;
  quoted: boolean;
  script: boolean;
}

class Parser {
  i = 0;
  /** Set by expansions/substitutions/unquoted globs while a word is read; quoting while a word is read. */
  private dyn = false;
  private quoted = false;
  constructor(
    private readonly s: string,
    private readonly st: ShellState,
  ) {}

  /** Parses commands until `end` (`)` or a backtick) or the end of input. */
  seq(end: string | null, depth: number): void {
    if (depth > MAX_DEPTH) throw new ParseError('command line nests too deeply');
    const s = this.s;
    let words: Word[] = [];
    let word: string | null = null;
    let target: 'redirect' | 'heredoc' | 'herestring' | 'stdin' | null = null;
    let stdin: Stdin | undefined;
    let piped: Stdin | undefined;
    const mine: Heredoc[] = [];
    const pending: Heredoc[] = [];
    const endWord = () => {
      if (word === null) return;
      const w: Word = { t: word, dyn: this.dyn };
      if (target === 'heredoc') {
        mine.push({ delim: word, quoted: this.quoted, script: false });
        stdin = { kind: 'deferred' };
      } else if (target === 'herestring') stdin = { kind: 'text', text: word, dyn: w.dyn };
      else if (target === 'stdin') stdin = { kind: 'unknown' };
      else if (target === null) words.push(w);
      target = null;
      word = null;
      this.dyn = false;
      this.quoted = false;
    };
    const endCmd = (pipeNext: boolean) => {
      endWord();
      if (target) throw new ParseError('redirection without a target');
      const r = emitCommand(this.st, words, depth, stdin ?? piped ?? { kind: 'unknown' });
      for (const h of mine.splice(0)) {
        h.script = r.readsStdin;
        pending.push(h);
      }
      piped = pipeNext ? (r.output === null ? { kind: 'unknown' } : { kind: 'text', text: r.output, dyn: false }) : undefined;
      words = [];
      stdin = undefined;
    };
    while (this.i < s.length) {
      const c = s[this.i];
      if (end !== null && c === end) {
        this.i++;
        endCmd(false);
        return;
      }
      switch (c) {
        case ' ':
        case '\t':
          endWord();
          this.i++;
          break;
        case '\n':
          endCmd(false);
          this.i++;
          for (const h of pending.splice(0)) this.heredocBody(h, depth);
          break;
        case ';':
        case '&':
        case '|': {
          if (c === '&' && s[this.i + 1] === '>') {
            endWord();
            this.redirect();
            target = 'redirect';
            break;
          }
          const two = s.slice(this.i, this.i + 2);
          endCmd(c === '|' && two !== '||');
          if (c === '&' && two !== '&&') this.st.caps.add('background');
          this.i += two === '&&' || two === '||' || two === ';;' || two === '|&' || two === ';&' ? 2 : 1;
          break;
        }
        case '<':
        case '>':
          if (s[this.i + 1] === '(') {
            // process substitution
            this.st.caps.add('substitution');
            this.i += 2;
            this.seq(')', depth + 1);
            word = (word ?? '') + '$()';
            this.dyn = true;
            break;
          }
          if (word !== null && /^\d+$/.test(word)) word = null; // fd number: part of the redirection
          endWord();
          target = this.redirect();
          break;
        case '(':
          if (word !== null || words.length) throw new ParseError('unexpected "("');
          this.i++;
          this.seq(')', depth + 1);
          break;
        case ')':
          throw new ParseError('unbalanced ")"');
        case '`':
          this.st.caps.add('substitution');
          this.i++;
          this.seq('`', depth + 1);
          word = (word ?? '') + '$()';
          this.dyn = true;
          break;
        case '$':
          word = (word ?? '') + this.dollar(depth);
          break;
        case "'": {
          const close = s.indexOf("'", this.i + 1);
          if (close < 0) throw new ParseError('unterminated single quote');
          word = (word ?? '') + s.slice(this.i + 1, close);
          this.i = close + 1;
          this.quoted = true;
          break;
        }
        case '"':
          word = (word ?? '') + this.doubleQuoted(depth);
          this.quoted = true;
          break;
        case '\\':
          if (this.i + 1 >= s.length) throw new ParseError('trailing backslash');
          if (s[this.i + 1] !== '\n') word = (word ?? '') + s[this.i + 1];
          this.i += 2;
          this.quoted = true;
          break;
        case '#':
          if (word === null) {
            while (this.i < s.length && s[this.i] !== '\n') this.i++;
            break;
          }
          word += c;
          this.i++;
          break;
        default:
          // Unquoted globs and braces expand to other words (`/bin/r?`, `{rm,-rf,x}`): the word is not what runs.
          if (c === '*' || c === '?' || c === '[') this.dyn = true;
          else if (c === '{' && (word !== null || /[,.]/.test(s.slice(this.i, s.indexOf('}', this.i) + 1)))) this.dyn = true;
          word = (word ?? '') + c;
          this.i++;
      }
    }
    if (end !== null) throw new ParseError(end === ')' ? 'unterminated "("' : 'unterminated backtick');
    endCmd(false);
    if (pending.length || mine.length) throw new ParseError('here-document without a body');
  }

  /** Consumes a redirection operator; returns what its target word is. */
  private redirect(): 'redirect' | 'heredoc' | 'herestring' | 'stdin' | null {
    this.st.caps.add('redirection');
    const m = /^(&>>?|<<<|<<-?|<>|>>|>\||>&|<&|>|<)/.exec(this.s.slice(this.i, this.i + 3))!;
    this.i += m[0].length;
    if (m[0].endsWith('&') && /[0-9-]/.test(this.s[this.i] ?? '')) {
      while (/[0-9-]/.test(this.s[this.i] ?? '')) this.i++;
      return null;
    }
    if (m[0] === '<<' || m[0] === '<<-') return 'heredoc';
    return m[0] === '<<<' ? 'herestring' : m[0] === '<' || m[0] === '<>' ? 'stdin' : 'redirect';
  }

  /** Reads a here-document body; an unquoted delimiter expands `$( )` and backticks in it, which run. */
  private heredocBody(h: Heredoc, depth: number): void {
    const clean = h.delim.replace(/^-/, '');
    const lines: string[] = [];
    for (;;) {
      if (this.i >= this.s.length) throw new ParseError(`here-document not closed by ${clean}`);
      let nl = this.s.indexOf('\n', this.i);
      if (nl < 0) nl = this.s.length;
      const line = this.s.slice(this.i, nl);
      this.i = nl + 1;
      if (line.replace(/^\t+/, '') === clean) break;
      lines.push(line);
    }
    const body = lines.join('\n');
    let dyn = false;
    if (!h.quoted) {
      const inner = new Parser(body, this.st);
      inner.expandText(depth + 1);
      dyn = inner.dyn;
    }
    if (h.script) this.st.stdinScript(body, dyn, depth + 1);
  }

  /** Here-document text: only `$`, backticks and backslashes are special. */
  private expandText(depth: number): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === '\\') {
        this.i += 2;
        continue;
      }
      if (c === '$') {
        this.dollar(depth);
        continue;
      }
      if (c === '`') {
        this.st.caps.add('substitution');
        this.i++;
        this.seq('`', depth + 1);
        this.dyn = true;
        continue;
      }
      this.i++;
    }
  }

  private dollar(depth: number): string {
    const s = this.s;
    const n = s[this.i + 1];
    if (n === '(') {
      this.st.caps.add('substitution');
      this.i += 2;
      this.seq(')', depth + 1);
      this.dyn = true;
      return '$()';
    }
    if (n === '{') {
      const close = s.indexOf('}', this.i + 2);
      if (close < 0) throw new ParseError('unterminated ${');
      this.st.caps.add('expansion');
      this.i = close + 1;
      this.dyn = true;
      return '$';
    }
    if (n !== undefined && /[A-Za-z0-9_@*#?$!-]/.test(n)) {
      this.st.caps.add('expansion');
      this.i += 2;
      this.dyn = true;
      if (/[A-Za-z_]/.test(n)) while (/[A-Za-z0-9_]/.test(s[this.i] ?? '')) this.i++;
      return '$';
    }
    if (n === "'") return this.ansiC();
    if (n === '"') {
      this.st.caps.add('expansion');
      this.i++;
      return '';
    } // $"..": a translated double-quoted string
    this.i++;
    return '$';
  }

  /** `$'\x72m'`: decoded (it is `rm`), and marked dynamic so its readings count. */
  private ansiC(): string {
    const s = this.s;
    this.st.caps.add('expansion');
    this.dyn = true;
    this.quoted = true;
    let out = '';
    this.i += 2;
    while (this.i < s.length && s[this.i] !== "'") {
      if (s[this.i] !== '\\') {
        out += s[this.i++];
        continue;
      }
      const m = /^\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c.|.)/s.exec(s.slice(this.i, this.i + 10));
      if (!m) throw new ParseError('trailing backslash');
      const e = m[1];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v' };
      if (/^[xuU]/.test(e)) out += String.fromCodePoint(Math.min(parseInt(e.slice(1), 16), 0x10ffff));
      else if (/^[0-7]/.test(e)) out += String.fromCharCode(parseInt(e, 8) & 0xff);
      else if (e[0] === 'c') out += String.fromCharCode(e.charCodeAt(1) & 0x1f);
      else out += simple[e] ?? e;
      this.i += m[0].length;
    }
    if (this.i >= s.length) throw new ParseError("unterminated $'");
    this.i++;
    return out;
  }

  private doubleQuoted(depth: number): string {
    const s = this.s;
    let out = '';
    this.i++;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c === '\\' && /[$`"\\\n]/.test(s[this.i + 1] ?? '')) {
        out += s[this.i + 1] === '\n' ? '' : s[this.i + 1];
        this.i += 2;
        continue;
      }
      if (c === '$') {
        out += this.dollar(depth);
        continue;
      }
      if (c === '`') {
        this.st.caps.add('substitution');
        this.i++;
        this.seq('`', depth + 1);
        this.dyn = true;
        out += '$()';
        continue;
      }
      out += c;
      this.i++;
    }
    throw new ParseError('unterminated double quote');
  }
}

/** Parses `text` as a shell script into the shared state; returns false when it cannot be followed. */
function parseInto(st: ShellState, text: string, depth: number): boolean {
  try {
    new Parser(text, st).seq(null, depth);
    return true;
  } catch (err) {
    if (err instanceof ParseError && !(err instanceof LimitError) && depth > 0) return false;
    throw err;
  }
}

/** Parses a command line into the simple commands it runs. Anything the parser cannot follow is an error (a denial). */
export function parseCommandLine(line: string): ParsedCommand {
  if (line.length > MAX_COMMAND_LENGTH) return { ok: false, reason: `command line is over-long (${line.length} > ${MAX_COMMAND_LENGTH})` };
  if (line.includes('\0')) return { ok: false, reason: 'command line contains a NUL byte' };
  const text = line.normalize('NFC');
  const st = new ShellState(parseInto);
  try {
    // Fast path: no quoting, expansion, operator or redirection characters at all, so words are space-separated.
    if (SIMPLE.test(text))
      emitCommand(
        st,
        text
          .split(/[ \t]+/)
          .filter(Boolean)
          .map((t) => ({ t, dyn: false })),
        0,
        { kind: 'unknown' },
      );
    else parseInto(st, text, 0);
  } catch (err) {
    if (err instanceof ParseError) return { ok: false, reason: `cannot parse command line: ${err.message}` };
    throw err;
  }
  if (!st.out.some((c) => !c.shadow)) return { ok: false, reason: 'command line is empty' };
  return { ok: true, commands: st.out, caps: [...st.caps].sort() };
}
