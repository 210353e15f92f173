// Shell command-line parser for `exec`: splits a line into the simple commands it would run, so each is judged.
export const MAX_COMMAND_LENGTH = 8192;
const MAX_DEPTH = 16;

/** Why a command line can be no better than `ask`. */
export type Cap = 'substitution' | 'redirection' | 'expansion' | 'assignment' | 'indirection' | 'background';

export interface SubCommand {
  /** Words joined by one space, quotes removed; substitutions appear as `$()`, expansions as `$`. */
  text: string;
  /** A shadow form (e.g. `rm` for `/bin/rm`): only deny/ask rules count for it, never allow or default deny. */
  shadow?: boolean;
}

export type ParsedCommand = { ok: true; commands: SubCommand[]; caps: Cap[] } | { ok: false; reason: string };

const KEYWORDS = new Set(['!', '{', '}', 'if', 'then', 'else', 'elif', 'fi', 'while', 'until', 'do', 'done', 'time']);
/** Commands that run their arguments as another command: the inner command is judged too, and the line caps at ask. */
const WRAPPERS = new Set(['env', 'command', 'exec', 'nohup', 'nice', 'timeout', 'sudo', 'doas', 'xargs', 'stdbuf', 'setsid', 'chroot', 'builtin', 'strace', 'watch']);
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'busybox']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
const SIMPLE = /^[A-Za-z0-9_.\/ \t:=,+@%-]*$/;

class ParseError extends Error {}

class Parser {
  i = 0;
  readonly out: SubCommand[] = [];
  readonly caps = new Set<Cap>();
  constructor(private readonly s: string) {}

  /** Parses commands until `end` (`)` or a backtick) or the end of input. */
  seq(end: string | null, depth: number): void {
    if (depth > MAX_DEPTH) throw new ParseError('command line nests too deeply');
    const s = this.s;
    let words: string[] = [];
    let word: string | null = null;
    let target: 'redirect' | 'heredoc' | null = null;
    const heredocs: Array<{ delim: string; strip: boolean }> = [];
    const endWord = () => {
      if (word === null) return;
      if (target === 'redirect') target = null;
      else if (target === 'heredoc') { heredocs.push({ delim: word.replace(/^-/, ''), strip: false }); target = null; }
      else words.push(word);
      word = null;
    };
    const endCmd = () => {
      endWord();
      if (target) throw new ParseError('redirection without a target');
      this.emit(words, depth);
      words = [];
    };
    while (this.i < s.length) {
      const c = s[this.i];
      if (end !== null && c === end) { this.i++; endCmd(); return; }
      switch (c) {
        case ' ': case '\t': endWord(); this.i++; break;
        case '\n':
          endCmd(); this.i++;
          for (const h of heredocs.splice(0)) this.skipHeredoc(h.delim);
          break;
        case ';': case '&': case '|': {
          if (c === '&' && s[this.i + 1] === '>') { endWord(); this.redirect(); target = 'redirect'; break; }
          endCmd();
          const two = s.slice(this.i, this.i + 2);
          if (c === '&' && two !== '&&') this.caps.add('background');
          this.i += two === '&&' || two === '||' || two === ';;' || two === '|&' || two === ';&' ? 2 : 1;
          break;
        }
        case '<': case '>':
          if (s[this.i + 1] === '(') { // process substitution
            this.caps.add('substitution'); this.i += 2; this.seq(')', depth + 1); word = (word ?? '') + '$()'; break;
          }
          if (word !== null && /^\d+$/.test(word)) word = null; // fd number: part of the redirection
          endWord();
          target = this.redirect();
          break;
        case '(':
          if (word !== null || words.length) throw new ParseError('unexpected "("');
          this.i++; this.seq(')', depth + 1); break;
        case ')': throw new ParseError('unbalanced ")"');
        case '`':
          this.caps.add('substitution'); this.i++; this.seq('`', depth + 1); word = (word ?? '') + '$()'; break;
        case '$': word = (word ?? '') + this.dollar(depth); break;
        case "'": {
          const close = s.indexOf("'", this.i + 1);
          if (close < 0) throw new ParseError('unterminated single quote');
          word = (word ?? '') + s.slice(this.i + 1, close); this.i = close + 1; break;
        }
        case '"': word = (word ?? '') + this.doubleQuoted(depth); break;
        case '\\':
          if (this.i + 1 >= s.length) throw new ParseError('trailing backslash');
          if (s[this.i + 1] !== '\n') word = (word ?? '') + s[this.i + 1];
          this.i += 2; break;
        case '#':
          if (word === null) { while (this.i < s.length && s[this.i] !== '\n') this.i++; break; }
          word += c; this.i++; break;
        default: word = (word ?? '') + c; this.i++;
      }
    }
    if (end !== null) throw new ParseError(end === ')' ? 'unterminated "("' : 'unterminated backtick');
    endCmd();
    if (heredocs.length) throw new ParseError('here-document without a body');
  }

  /** Consumes a redirection operator; returns whether a target word follows. */
  private redirect(): 'redirect' | 'heredoc' | null {
    this.caps.add('redirection');
    const m = /^(&>>?|<<<|<<-?|<>|>>|>\||>&|<&|>|<)/.exec(this.s.slice(this.i, this.i + 3))!;
    this.i += m[0].length;
    if (m[0].endsWith('&') && /[0-9-]/.test(this.s[this.i] ?? '')) {
      while (/[0-9-]/.test(this.s[this.i] ?? '')) this.i++;
      return null;
    }
    return m[0] === '<<' || m[0] === '<<-' ? 'heredoc' : 'redirect';
  }

  private skipHeredoc(delim: string): void {
    const clean = delim.replace(/["']/g, '');
    for (;;) {
      if (this.i >= this.s.length) throw new ParseError(`here-document not closed by ${clean}`);
      let nl = this.s.indexOf('\n', this.i);
      if (nl < 0) nl = this.s.length;
      const line = this.s.slice(this.i, nl);
      this.i = nl + 1;
      if (line.replace(/^\t+/, '') === clean) return;
    }
  }

  private dollar(depth: number): string {
    const s = this.s;
    const n = s[this.i + 1];
    if (n === '(') { this.caps.add('substitution'); this.i += 2; this.seq(')', depth + 1); return '$()'; }
    if (n === '{') {
      const close = s.indexOf('}', this.i + 2);
      if (close < 0) throw new ParseError('unterminated ${');
      this.caps.add('expansion'); this.i = close + 1; return '$';
    }
    if (n !== undefined && /[A-Za-z0-9_@*#?$!-]/.test(n)) {
      this.caps.add('expansion'); this.i += 2;
      if (/[A-Za-z_]/.test(n)) while (/[A-Za-z0-9_]/.test(s[this.i] ?? '')) this.i++;
      return '$';
    }
    if (n === "'" || n === '"') { this.caps.add('expansion'); this.i++; return ''; } // $'..' / $".." quoting
    this.i++;
    return '$';
  }

  private doubleQuoted(depth: number): string {
    const s = this.s;
    let out = '';
    this.i++;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === '"') { this.i++; return out; }
      if (c === '\\' && /[$`"\\\n]/.test(s[this.i + 1] ?? '')) { out += s[this.i + 1] === '\n' ? '' : s[this.i + 1]; this.i += 2; continue; }
      if (c === '$') { out += this.dollar(depth); continue; }
      if (c === '`') { this.caps.add('substitution'); this.i++; this.seq('`', depth + 1); out += '$()'; continue; }
      out += c; this.i++;
    }
    throw new ParseError('unterminated double quote');
  }

  /** Records one simple command, unwrapping keywords, assignments, wrappers, `sh -c` and path-qualified names. */
  emit(words: string[], depth: number): void {
    let k = 0;
    while (k < words.length && KEYWORDS.has(words[k])) k++;
    if (k < words.length && ASSIGNMENT.test(words[k])) {
      this.caps.add('assignment');
      while (k < words.length && ASSIGNMENT.test(words[k])) k++;
    }
    const rest = words.slice(k);
    if (!rest.length) return;
    this.out.push({ text: rest.join(' ') });
    const name = rest[0];
    const base = name.includes('/') ? name.slice(name.lastIndexOf('/') + 1) : name;
    if (base !== name && base) this.out.push({ text: [base, ...rest.slice(1)].join(' '), shadow: true });
    if (base === 'eval' || (SHELLS.has(base) && rest.some((w) => /^-[a-z]*c[a-z]*$/.test(w)))) {
      this.caps.add('indirection');
      const script = base === 'eval' ? rest.slice(1).join(' ') : rest[rest.findIndex((w) => /^-[a-z]*c[a-z]*$/.test(w)) + 1];
      if (script !== undefined) { const inner = new Parser(script); inner.seq(null, depth + 1); this.out.push(...inner.out); inner.caps.forEach((c) => this.caps.add(c)); }
    } else if (WRAPPERS.has(base)) {
      this.caps.add('indirection');
      let j = 1;
      while (j < rest.length && (rest[j].startsWith('-') || ASSIGNMENT.test(rest[j]) || (base === 'timeout' && /^\d/.test(rest[j])))) j++;
      if (j < rest.length) this.emit(rest.slice(j), depth + 1);
    }
  }
}

/** Parses a command line into the simple commands it runs. Anything the parser cannot follow is an error (a denial). */
export function parseCommandLine(line: string): ParsedCommand {
  if (line.length > MAX_COMMAND_LENGTH) return { ok: false, reason: `command line is over-long (${line.length} > ${MAX_COMMAND_LENGTH})` };
  if (line.includes('\0')) return { ok: false, reason: 'command line contains a NUL byte' };
  const p = new Parser(line.normalize('NFC'));
  try {
    // Fast path: no quoting, expansion, operator or redirection characters at all, so words are space-separated.
    if (SIMPLE.test(line)) p.emit(line.split(/[ \t]+/).filter(Boolean), 0);
    else p.seq(null, 0);
  } catch (err) {
    if (err instanceof ParseError) return { ok: false, reason: `cannot parse command line: ${err.message}` };
    throw err;
  }
  if (!p.out.length) return { ok: false, reason: 'command line is empty' };
  return { ok: true, commands: p.out, caps: [...p.caps].sort() };
}
