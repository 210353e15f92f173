// Shell words: quoting and expansion inside one word (`$…`, `$'…'`, `"…"`, here-document text). Substitutions in them
// run commands, so they call back into the parser's `seq` (shell-parser.ts) and mark the word dynamic.
import { ParseError, type ShellState } from './shell-commands';

export abstract class WordReader {
  i = 0;
  /** Set by expansions/substitutions/unquoted globs while a word is read; quoting while a word is read. */
  protected dyn = false;
  protected quoted = false;
  constructor(
    protected readonly s: string,
    protected readonly st: ShellState,
  ) {}

  /** Parses commands until `end` (`)` or a backtick) or the end of input. */
  abstract seq(end: string | null, depth: number): void;

  /**
   * A substitution at `i` (`` `…` ``, `$(…)`, `<(…)`: `open` characters, then commands up to `end`): its commands run,
   * so they are parsed and judged; the word it is in becomes dynamic and shows it as `$()`.
   */
  protected substitution(open: number, end: string, depth: number): string {
    this.st.caps.add('substitution');
    this.i += open;
    this.seq(end, depth + 1);
    this.dyn = true;
    return '$()';
  }

  /** Here-document text: only `$`, backticks and backslashes are special. */
  protected expandText(depth: number): void {
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
        this.substitution(1, '`', depth);
        continue;
      }
      this.i++;
    }
  }

  /** `$…` at `i`: a substitution (parsed), an expansion (dynamic) or ANSI-C quoting; returns the word text it stands for. */
  protected dollar(depth: number): string {
    const s = this.s;
    const n = s[this.i + 1];
    if (n === '(') return this.substitution(2, ')', depth);
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

  /** `"…"` at `i`: the quoted text, with `$` and backticks still expanding inside. */
  protected doubleQuoted(depth: number): string {
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
        out += this.substitution(1, '`', depth);
        continue;
      }
      out += c;
      this.i++;
    }
    throw new ParseError('unterminated double quote');
  }
}
