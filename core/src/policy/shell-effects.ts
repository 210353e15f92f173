// Options that make an "inspection" command write a file or run a program (git log --output, git -c core.pager=…,
// rg --pre, find -fprint): the command is judged as what it does, so the line is at best `ask`.

export type Effect = 'writes-file' | 'runs-program';

/** git options before the subcommand: `-c`/`--config-env` set config that runs programs; `-C`/`--git-dir` pick a repo
 * whose config may; `-p` starts the configured pager. */
const GIT_GLOBAL_RUNS = new Set(['-c', '--config-env', '--exec-path', '-C', '--git-dir', '--work-tree', '-p', '--paginate']);
const GIT_GLOBAL_ARG = new Set([
  '-c',
  '-C',
  '--git-dir',
  '--work-tree',
  '--namespace',
  '--super-prefix',
  '--config-env',
  '--list-cmds',
  '--attr-source',
]);
/** Options of any subcommand that run a program (external diff, textconv filters, pager, remote helpers, --exec). */
const GIT_RUNS = ['--ext-diff', '--textconv', '--open-files-in-pager', '--upload-pack', '--receive-pack', '--exec', '--extcmd', '--tool'];
const GIT_RUNS_SUBCOMMANDS = new Set([
  'difftool',
  'mergetool',
  'filter-branch',
  'filter-repo',
  'instaweb',
  'web--browse',
  'credential',
  'daemon',
  'shell',
  'upload-pack',
  'receive-pack',
  'remote-ext',
  'p4',
  'svn',
  'cvsimport',
  'archimport',
  'quiltimport',
  'send-email',
]);
const GIT_CONFIG_READS = new Set([
  '--get',
  '--get-all',
  '--get-regexp',
  '--get-urlmatch',
  '--get-color',
  '--get-colorbool',
  '--list',
  '-l',
  'get',
  'list',
  '--show-origin',
  '--show-scope',
  '--name-only',
]);

function longName(w: string): string {
  const eq = w.indexOf('=');
  return eq < 0 ? w : w.slice(0, eq);
}

function gitEffects(words: readonly string[], out: Set<Effect>): void {
  let j = 1;
  for (; j < words.length && words[j].startsWith('-'); j++) {
    const name = longName(words[j]);
    if (GIT_GLOBAL_RUNS.has(name) || /^-c./.test(words[j]) || /^-C./.test(words[j])) out.add('runs-program');
    if (GIT_GLOBAL_ARG.has(words[j])) j++;
  }
  const sub = words[j];
  if (sub === undefined) return;
  const rest = words.slice(j + 1);
  if (GIT_RUNS_SUBCOMMANDS.has(sub)) out.add('runs-program');
  const runs =
    (sub === 'bisect' && rest[0] === 'run') || (sub === 'submodule' && rest.includes('foreach')) || (sub === 'hook' && rest[0] === 'run');
  if (runs) out.add('runs-program');
  if (sub === 'config' && !rest.some((w) => GIT_CONFIG_READS.has(longName(w)))) out.add('writes-file');
  for (const w of rest) {
    if (w === '--') break;
    const name = longName(w);
    if (name === '--output' || name === '--output-directory') out.add('writes-file');
    if (GIT_RUNS.includes(name) || /^-O/.test(w)) out.add('runs-program');
    if ((sub === 'format-patch' || sub === 'archive') && /^-o/.test(w)) out.add('writes-file');
    if (sub === 'rebase' && /^-[a-zA-Z]*x/.test(w)) out.add('runs-program');
    if (['fetch', 'clone', 'ls-remote', 'pull'].includes(sub) && /^-u/.test(w)) out.add('runs-program');
  }
}

/** The effects of one simple command's words (argv[0] is the base name). */
export function commandEffects(base: string, words: readonly string[]): Effect[] {
  const out = new Set<Effect>();
  switch (base) {
    case 'git':
      gitEffects(words, out);
      break;
    case 'rg':
      for (const w of words) if (longName(w) === '--pre') out.add('runs-program');
      break;
    case 'sort':
      for (const w of words) if (longName(w) === '--output' || /^-[a-zA-Z]*o/.test(w)) out.add('writes-file');
      break;
    case 'find':
      for (const w of words) if (['-fprint', '-fprint0', '-fprintf', '-fls'].includes(w)) out.add('writes-file');
      break;
    case 'tee':
      if (words.length > 1) out.add('writes-file');
      break;
    default:
      break;
  }
  return [...out];
}
