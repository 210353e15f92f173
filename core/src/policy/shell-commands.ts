// What one simple command runs: unwraps wrappers by their option grammar, follows shells, eval, aliases, find -exec,
// and records every reading; a command that cannot be fully understood also gets the "any command" reading.
import type { Cap, SubCommand } from './shell';
import { commandEffects } from './shell-effects';
import { DANGEROUS_VAR, type Grammar, GRAMMARS, OPAQUE_WRAPPERS, parseWrapper, SHELLS } from './shell-wrappers';

export interface Word {
  t: string;
  dyn: boolean;
}
/** Where a command's standard input comes from, when a shell might read its script there. */
export type Stdin = { kind: 'text'; text: string; dyn: boolean } | { kind: 'unknown' } | { kind: 'deferred' };
export interface Emitted {
  readsStdin: boolean;
  output: string | null;
}

export class ParseError extends Error {}
/** A limit (depth, readings) was hit: never softened into a reading, always a denial. */
export class LimitError extends ParseError {}

const MAX_ITEMS = 1024;
export const MAX_DEPTH = 16;
const KEYWORDS = new Set(['!', '{', '}', 'if', 'then', 'else', 'elif', 'fi', 'while', 'until', 'do', 'done']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
const SCRIPTISH = /[\s;&|`$()<>]/;
const NONE: Emitted = { readsStdin: false, output: null };

/** Shared by every parser of one command line (nested scripts included). */
export class ShellState {
  readonly out: SubCommand[] = [];
  readonly caps = new Set<Cap>();
  readonly aliases = new Map<string, string>();
  private readonly seen = new Set<string>();
  private shadowing = 0;

  constructor(private readonly parse: (st: ShellState, text: string, depth: number) => boolean) {}

  push(text: string, shadow: boolean): void {
    const sh = shadow || this.shadowing > 0;
    const key = (sh ? 's' : 'n') + text;
    if (this.seen.has(key)) return;
    if (this.out.length >= MAX_ITEMS) throw new LimitError(`command line has more than ${MAX_ITEMS} readings`);
    this.seen.add(key);
    this.out.push(sh ? { text, shadow: true } : { text });
  }

  /** The reading "any command": every deny/ask exec rule counts. */
  any(): void {
    if (this.seen.has('*any')) return;
    this.seen.add('*any');
    this.out.push({ text: '*', shadow: true, any: true });
  }

  /** A script some shell runs; its commands are judged (as readings when `shadow`); unknown text is any command. */
  script(text: string, dyn: boolean, depth: number, shadow: boolean): void {
    if (depth > MAX_DEPTH) throw new LimitError('command line nests too deeply');
    if (dyn) this.any();
    if (shadow) this.shadowing++;
    try {
      if (!this.parse(this, text, depth)) {
        this.any();
        this.caps.add('indirection');
      }
    } finally {
      if (shadow) this.shadowing--;
    }
  }

  /** A shell reading its script from standard input (`… | sh`, `sh <<EOF`, `bash <<< '…'`). */
  stdinScript(text: string, dyn: boolean, depth: number): void {
    this.caps.add('indirection');
    this.script(text, dyn, depth, true);
  }
}

function assignment(st: ShellState, name: string): void {
  if (DANGEROUS_VAR.test(name)) st.caps.add('assignment');
}

/** Records one simple command (keywords and leading assignments stripped) and everything it runs. */
export function emitCommand(st: ShellState, words: readonly Word[], depth: number, stdin: Stdin): Emitted {
  let k = 0;
  while (k < words.length && KEYWORDS.has(words[k].t)) k++;
  while (k < words.length && ASSIGNMENT.test(words[k].t)) {
    assignment(st, words[k].t.slice(0, words[k].t.indexOf('=')));
    k++;
  }
  const rest = words.slice(k);
  return rest.length ? command(st, rest, depth, stdin, false) : NONE;
}

const baseName = (name: string) => (name.includes('/') ? name.slice(name.lastIndexOf('/') + 1) : name);

function pushSelf(st: ShellState, w: readonly Word[], shadow: boolean): void {
  const texts = w.map((x) => x.t);
  st.push(texts.join(' '), shadow);
  const base = baseName(texts[0]);
  if (base !== texts[0] && base) st.push([base, ...texts.slice(1)].join(' '), true);
}

function command(st: ShellState, w: readonly Word[], depth: number, stdin: Stdin, shadow: boolean): Emitted {
  if (depth > MAX_DEPTH) throw new LimitError('command line nests too deeply');
  const texts = w.map((x) => x.t);
  const base = baseName(texts[0]);
  // argv[0] built at run time (`$(echo rm)`, `$X`, `{rm,x}`, `/bin/r?`, find's `{}`) can be any command.
  if (w[0].dyn || texts[0].includes('{}')) st.any();
  for (const e of commandEffects(base, texts)) st.caps.add(e);
  const grammar = Object.prototype.hasOwnProperty.call(GRAMMARS, base) ? GRAMMARS[base] : undefined;
  if (grammar) return wrapper(st, w, depth, stdin, grammar, shadow);
  pushSelf(st, w, shadow);
  const args = w.slice(1);
  const aliased = !w[0].dyn ? st.aliases.get(texts[0]) : undefined;
  if (aliased !== undefined) {
    st.caps.add('indirection');
    st.script(
      [aliased, ...texts.slice(1)].join(' '),
      args.some((x) => x.dyn),
      depth + 1,
      false,
    );
    return NONE;
  }
  if (SHELLS.has(base)) return shell(st, w, depth, stdin);
  switch (base) {
    case 'eval':
      st.caps.add('indirection');
      st.script(
        texts.slice(1).join(' '),
        args.some((x) => x.dyn),
        depth + 1,
        false,
      );
      return NONE;
    case 'source':
    case '.':
      st.caps.add('indirection');
      st.any();
      return NONE;
    case 'alias':
      st.caps.add('indirection');
      for (const a of args) {
        const eq = a.t.indexOf('=');
        if (a.dyn) st.any();
        else if (eq > 0) st.aliases.set(a.t.slice(0, eq), a.t.slice(eq + 1));
      }
      return NONE;
    case 'find':
      return find(st, w, depth);
    case 'echo':
    case 'printf':
      return { readsStdin: false, output: args.some((x) => x.dyn) ? null : printed(base, texts.slice(1)) };
    default:
      if (OPAQUE_WRAPPERS.has(base)) opaque(st, w, depth);
      return NONE;
  }
}

function printed(base: string, args: string[]): string {
  if (base === 'printf') return args.join('\n').replace(/\\n/g, '\n');
  while (/^-[neE]+$/.test(args[0] ?? '')) args = args.slice(1);
  return args.join(' ');
}

/** Every suffix of a wrapper's words is a reading: a grammar we got wrong still cannot hide the command it runs. */
function suffixes(st: ShellState, texts: readonly string[]): void {
  for (let j = 1; j < texts.length; j++) st.push(texts.slice(j).join(' '), true);
}

function wrapper(st: ShellState, w: readonly Word[], depth: number, stdin: Stdin, g: Grammar, shadow: boolean): Emitted {
  const texts = w.map((x) => x.t);
  suffixes(st, texts);
  const parsed = parseWrapper(g, texts, (name) => assignment(st, name));
  if (!parsed.ok) {
    st.caps.add('indirection');
    pushSelf(st, w, shadow);
    return NONE;
  }
  if (parsed.writes) st.caps.add('writes-file');
  if (g.privileged || g.stdinArgs) st.caps.add('indirection');
  let inner = w.slice(parsed.start);
  if (parsed.split !== undefined) {
    st.caps.add('indirection');
    if (w[parsed.splitAt!]?.dyn) st.any();
    inner = [
      ...parsed.split
        .split(/[ \t\n]+/)
        .filter(Boolean)
        .map((t) => ({ t, dyn: false })),
      ...inner,
    ];
  }
  // The wrapper alone (`env`, `nice`) is itself the command; otherwise it is judged by what it runs, except when it
  // changes user (sudo): then the wrapper must be allowed too.
  pushSelf(st, w, shadow || (inner.length > 0 && !g.privileged));
  if (!inner.length) return NONE;
  if (g.joined) {
    st.caps.add('indirection');
    st.script(
      inner.map((x) => x.t).join(' '),
      inner.some((x) => x.dyn),
      depth + 1,
      false,
    );
    return NONE;
  }
  return command(st, inner, depth + 1, stdin, shadow);
}

/** sh/bash/…: `-c SCRIPT` is parsed; a script file is unknown; otherwise the script is read from standard input. */
function shell(st: ShellState, w: readonly Word[], depth: number, stdin: Stdin): Emitted {
  const texts = w.map((x) => x.t);
  let j = 1;
  let c = false;
  let s = false;
  for (; j < texts.length; j++) {
    const t = texts[j];
    if (t === '--' || t === '-') {
      j++;
      break;
    }
    if (t.startsWith('--')) {
      if (t === '--rcfile' || t === '--init-file') j++;
      continue;
    }
    if (!/^[-+]./.test(t)) break;
    const letters = t.slice(1);
    if (letters.includes('c')) c = true;
    if (letters.includes('s')) s = true;
    if (/[oO]/.test(letters)) j++; // -o NAME, -O NAME
  }
  st.caps.add('indirection');
  if (c) {
    if (j < w.length) st.script(w[j].t, w[j].dyn, depth + 1, false);
    return NONE;
  }
  if (j < w.length && !s) {
    st.any();
    return NONE;
  } // a script file: its commands are unknown here
  if (stdin.kind === 'deferred') return { readsStdin: true, output: null };
  if (stdin.kind === 'text') st.stdinScript(stdin.text, stdin.dyn, depth + 1);
  else st.any();
  return NONE;
}

/** find: `-exec`/`-execdir`/`-ok`/`-okdir` run a command; `-delete` removes files (read as `rm`, and a write). */
function find(st: ShellState, w: readonly Word[], depth: number): Emitted {
  const texts = w.map((x) => x.t);
  let i = 1;
  const paths: string[] = [];
  while (i < texts.length && !/^[-(!]/.test(texts[i])) paths.push(texts[i++]);
  for (; i < texts.length; i++) {
    const t = texts[i];
    if (t === '-exec' || t === '-execdir' || t === '-ok' || t === '-okdir') {
      const cmd: Word[] = [];
      for (i++; i < texts.length && texts[i] !== ';' && texts[i] !== '+'; i++) cmd.push(w[i]);
      if (cmd.length) command(st, cmd, depth + 1, { kind: 'unknown' }, false);
      else st.any();
    } else if (t === '-delete') {
      st.caps.add('writes-file');
      st.push(['rm', ...(paths.length ? paths : ['.'])].join(' '), true);
    }
  }
  return NONE;
}

/** A wrapper whose grammar is not modelled: every suffix and every script-like word is a reading. */
function opaque(st: ShellState, w: readonly Word[], depth: number): void {
  st.caps.add('indirection');
  suffixes(
    st,
    w.map((x) => x.t),
  );
  for (const a of w.slice(1)) if (SCRIPTISH.test(a.t)) st.script(a.t, a.dyn, depth + 1, true);
}
