// Shell command-line parser for `exec`: splits a line into the simple commands it would run, so each is judged.
// The structure is shell-parser.ts, words shell-words.ts, what each command runs shell-commands.ts.
import { emitCommand, ParseError, ShellState } from './shell-commands';
import { parseInto } from './shell-parser';

export { ParseError };

export const MAX_COMMAND_LENGTH = 8192;

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
