// Option grammars of commands that run another command (nice, timeout, env, sudo, xargs, ...): which options take an
// argument, so the wrapped command is found where the wrapper itself would find it.

export interface Grammar {
  /** Short options without an argument. */
  flags?: string;
  /** Short options taking an argument (attached, `-n10`, or the next word). */
  args?: string;
  /** Short options taking an optional argument that must be attached (`xargs -i{}`). */
  optional?: string;
  longFlags?: readonly string[];
  /** Long options taking an argument (`--signal=KILL` or `--signal KILL`). */
  longArgs?: readonly string[];
  /** Operands before the command: `timeout DURATION`, `chrt PRIORITY`, `taskset MASK`, `chroot DIR`. */
  positional?: number;
  /** `NAME=value` words before the command (env, sudo). */
  assignments?: boolean;
  /** `nice -10 cmd`. */
  numeric?: boolean;
  /** A lone `-` is an option (`env -`). */
  dash?: boolean;
  /** Runs the command as another user or root: the wrapper stays judged itself and the line is at best `ask`. */
  privileged?: boolean;
  /** Appends words read from its input to the command (xargs): the command's arguments are unknown, so `ask`. */
  stdinArgs?: boolean;
  /** The option whose argument is split into words that start the command (`env -S 'rm -rf x'`). */
  split?: string;
  /** Options whose argument is a file the wrapper writes (`time -o FILE`). */
  writes?: string;
  longWrites?: readonly string[];
  /** Runs its operands joined by spaces through `sh -c` (watch). */
  joined?: boolean;
}

export const GRAMMARS: Readonly<Record<string, Grammar>> = {
  nice: { args: 'n', longArgs: ['adjustment'], numeric: true },
  timeout: {
    flags: 'v',
    args: 'sk',
    longArgs: ['signal', 'kill-after'],
    longFlags: ['preserve-status', 'foreground', 'verbose'],
    positional: 1,
  },
  env: {
    flags: 'i0v',
    args: 'uCS',
    split: 'S',
    dash: true,
    assignments: true,
    longArgs: ['unset', 'chdir', 'split-string'],
    longFlags: ['ignore-environment', 'null', 'debug', 'list-signal-handling', 'block-signal', 'default-signal', 'ignore-signal'],
  },
  stdbuf: { args: 'ioe', longArgs: ['input', 'output', 'error'] },
  ionice: { flags: 't', args: 'cnpPu', longArgs: ['class', 'classdata', 'pid', 'pgid', 'uid'], longFlags: ['ignore'] },
  chrt: {
    flags: 'abdefimoprRv',
    args: 'TPD',
    positional: 1,
    longArgs: ['sched-runtime', 'sched-period', 'sched-deadline'],
    longFlags: ['all-tasks', 'batch', 'deadline', 'fifo', 'idle', 'other', 'rr', 'reset-on-fork', 'max', 'pid', 'verbose'],
  },
  taskset: { flags: 'acp', longFlags: ['all-tasks', 'cpu-list', 'pid'], positional: 1 },
  nohup: {},
  setsid: { flags: 'cfw', longFlags: ['ctty', 'fork', 'wait'] },
  time: {
    flags: 'pavq',
    args: 'of',
    writes: 'o',
    longArgs: ['output', 'format'],
    longWrites: ['output'],
    longFlags: ['portability', 'append', 'verbose', 'quiet'],
  },
  command: { flags: 'pvV' },
  exec: { flags: 'cl', args: 'a' },
  builtin: {},
  busybox: {},
  xargs: {
    flags: '0prtx',
    args: 'aEdILnPs',
    optional: 'eil',
    stdinArgs: true,
    longArgs: ['arg-file', 'delimiter', 'max-args', 'max-procs', 'max-chars', 'process-slot-var'],
    longFlags: ['null', 'interactive', 'no-run-if-empty', 'open-tty', 'show-limits', 'verbose', 'exit', 'eof', 'replace', 'max-lines'],
  },
  watch: {
    flags: 'bcegtxpw',
    args: 'nq',
    optional: 'd',
    joined: true,
    longArgs: ['interval'],
    longFlags: ['beep', 'color', 'no-color', 'differences', 'errexit', 'chgexit', 'exec', 'no-title', 'precise', 'no-wrap'],
  },
  sudo: {
    flags: 'AbEeHiKklnPSsVv',
    args: 'CDghpRrTtUu',
    assignments: true,
    privileged: true,
    longArgs: ['chdir', 'close-from', 'group', 'host', 'prompt', 'chroot', 'role', 'type', 'command-timeout', 'other-user', 'user'],
    longFlags: [
      'askpass',
      'background',
      'bell',
      'preserve-env',
      'edit',
      'set-home',
      'login',
      'remove-timestamp',
      'reset-timestamp',
      'list',
      'non-interactive',
      'preserve-groups',
      'shell',
      'stdin',
      'validate',
    ],
  },
  doas: { flags: 'Lns', args: 'uC', privileged: true },
  chroot: { longArgs: ['userspec', 'groups'], longFlags: ['skip-chdir'], positional: 1, privileged: true },
};

/**
 * Commands known to run other commands whose grammar is not modelled: every way of reading them counts (each suffix
 * of their words, each word that looks like a script), the command itself must be allowed, and the line is `ask`.
 */
export const OPAQUE_WRAPPERS = new Set([
  'su',
  'runuser',
  'sg',
  'flock',
  'unbuffer',
  'fakeroot',
  'proot',
  'firejail',
  'systemd-run',
  'parallel',
  'pkexec',
  'setpriv',
  'script',
  'strace',
  'ltrace',
  'valgrind',
  'gdb',
  'catchsegv',
  'faketime',
  'unshare',
  'nsenter',
  'dbus-run-session',
  'torsocks',
  'proxychains',
  'proxychains4',
  'cgexec',
  'numactl',
  'prlimit',
  'capsh',
  'ssh',
  'chpst',
  'softlimit',
  'setuidgid',
  'envdir',
  'nocache',
  'cpulimit',
  'trickle',
  'eatmydata',
  'caffeinate',
  'time-limit',
  'tini',
  'dumb-init',
  'entr',
]);

export const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'mksh', 'yash', 'posh', 'rbash', 'fish', 'tcsh', 'csh']);

/**
 * Variables that change which program runs or what code it loads (loader, interpreter options, shell startup,
 * search paths, tool configuration): setting them makes a command line at best `ask`. Other assignments
 * (`FOO=1 npm test`) do not change what runs, so they do not.
 */
export const DANGEROUS_VAR = new RegExp(
  '^(PATH|IFS|ENV|BASH_ENV|SHELLOPTS|BASHOPTS|PS4|PROMPT_COMMAND|HOME|SHELL|TMPDIR|EDITOR|VISUAL|' +
    'CDPATH|GLOBIGNORE|BASH_FUNC_.*|LD_.*|DYLD_.*|GCONV_PATH|LOCPATH|MALLOC_.*|GIT_.*|NODE_(?!ENV$).*|NPM_.*|YARN_.*|PNPM_.*|' +
    'PYTHON.*|PERL.*|RUBY.*|GEM_.*|BUNDLE_.*|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS|CLASSPATH|.*_OPTIONS|.*OPTS|.*PAGER|' +
    'LESS.*|MAKE.*|MFLAGS|CC|CXX|CPP|LD|AR|CFLAGS|CXXFLAGS|LDFLAGS|RUSTC.*|RUSTFLAGS|CARGO_.*|GO.*|XDG_.*|SSH_.*|DOCKER_.*|' +
    'DENO_.*|TS_NODE_.*|ELECTRON_.*)$',
  'i',
);

export type ParsedWrapper = { ok: true; start: number; writes: boolean; split?: string; splitAt?: number } | { ok: false };

/** Finds where the wrapped command starts, using the wrapper's own option grammar; unknown options fail. */
export function parseWrapper(g: Grammar, words: readonly string[], onAssignment: (name: string) => void): ParsedWrapper {
  let j = 1;
  let positional = g.positional ?? 0;
  let writes = false;
  let split: string | undefined;
  let splitAt: number | undefined;
  const has = (set: string | undefined, c: string) => !!set && set.includes(c);
  while (j < words.length) {
    const w = words[j];
    if (w === '--') {
      j++;
      break;
    }
    if (w === '-' && g.dash) {
      j++;
      continue;
    }
    if (w.startsWith('--') && w.length > 2) {
      const eq = w.indexOf('=');
      const name = w.slice(2, eq < 0 ? undefined : eq);
      if (g.longArgs?.includes(name)) {
        if (g.longWrites?.includes(name)) writes = true;
        if (name === 'split-string') {
          split = eq < 0 ? words[j + 1] : w.slice(eq + 1);
          splitAt = eq < 0 ? j + 1 : j;
        }
        j += eq < 0 ? 2 : 1;
        continue;
      }
      if (g.longFlags?.includes(name)) {
        j++;
        continue;
      }
      return { ok: false };
    }
    if (w.startsWith('-') && w.length > 1) {
      if (g.numeric && /^-[0-9]+$/.test(w)) {
        j++;
        continue;
      }
      let k = 1;
      let consumedNext = false;
      for (; k < w.length; k++) {
        const c = w[k];
        if (has(g.flags, c)) continue;
        if (has(g.optional, c)) {
          k = w.length;
          break;
        }
        if (has(g.args, c)) {
          if (has(g.writes, c)) writes = true;
          const attached = w.slice(k + 1);
          if (c === g.split) {
            split = attached || words[j + 1];
            splitAt = attached ? j : j + 1;
          }
          consumedNext = attached === '';
          k = w.length;
          break;
        }
        return { ok: false };
      }
      j += consumedNext ? 2 : 1;
      continue;
    }
    if (g.assignments && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) {
      onAssignment(w.slice(0, w.indexOf('=')));
      j++;
      continue;
    }
    if (positional > 0) {
      positional--;
      j++;
      continue;
    }
    break;
  }
  if (j > words.length) return { ok: false }; // an option's argument is missing
  return { ok: true, start: j, writes, split, splitAt };
}
