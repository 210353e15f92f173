// Shell command-line structure: commands, pipes, lists, subshells, redirections and here-documents; each simple command
// is handed to shell-commands.ts to be judged. Quoting and expansion inside words are shell-words.ts.
import { emitCommand, LimitError, MAX_DEPTH, ParseError, type ShellState, type Stdin, type Word } from './shell-commands';
import { WordReader } from './shell-words';

interface Heredoc {
  delim: string;
  quoted: boolean;
  script: boolean;
}

class Parser extends WordReader {
  /** Parses commands until `end` (`)` or a backtick) or the end of input. */
  override seq(end: string | null, depth: number): void {
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
            word = (word ?? '') + this.substitution(2, ')', depth); // process substitution
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
          word = (word ?? '') + this.substitution(1, '`', depth);
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
}

/** Parses `text` as a shell script into the shared state; returns false when it cannot be followed. */
export function parseInto(st: ShellState, text: string, depth: number): boolean {
  try {
    new Parser(text, st).seq(null, depth);
    return true;
  } catch (err) {
    if (err instanceof ParseError && !(err instanceof LimitError) && depth > 0) return false;
    throw err;
  }
}
