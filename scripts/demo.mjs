// The main job (`npm start`): a real agent task on a copy of examples/sample-project with the replay provider:
// sandbox, tools, policy, audit and a patch set; the workspace changes only when the patch set is merged.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const airlock = path.join(root, 'bin', 'airlock');
const replay = path.join(root, 'examples', 'sample-project.replay.jsonl');
const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-demo-'));
fs.cpSync(path.join(root, 'examples', 'sample-project'), ws, { recursive: true });

const say = (s) => process.stdout.write(`\n\x1b[1m== ${s}\x1b[0m\n`);
const run = (args, opts = {}) => {
  process.stdout.write(`$ ${args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}\n`);
  const r = spawnSync(args[0], args.slice(1), {
    cwd: ws,
    stdio: ['ignore', opts.capture ? 'pipe' : 'inherit', 'inherit'],
    encoding: 'utf8',
  });
  if (opts.capture) process.stdout.write(r.stdout);
  if (r.status !== 0 && !opts.allowFail) {
    console.error(`demo: ${args.join(' ')} exited with ${r.status}`);
    process.exit(1);
  }
  return r;
};
const snapshot = () =>
  Object.fromEntries(
    ['src/stats.js', 'test/median.test.js'].map((f) => [
      f,
      fs.existsSync(path.join(ws, f)) ? fs.readFileSync(path.join(ws, f), 'utf8') : null,
    ]),
  );

say(`Sample project copied to ${ws}`);
say('The agent fixes the bug (recorded model session, real sandbox, policy and audit)');
const before = snapshot();
const task = run(
  ['node', airlock, 'run', 'Fix the median bug in src/stats.js and add a test', '--workspace', ws, '--replay', replay, '--mode', 'explore'],
  { capture: true },
);
const setId = /Patch set (ps_\w+):/.exec(task.stdout)?.[1];
if (!setId) {
  console.error('demo: the task produced no patch set');
  process.exit(1);
}

say('The workspace is untouched until the patch set is merged');
const same = JSON.stringify(snapshot()) === JSON.stringify(before);
process.stdout.write(
  same
    ? 'src/stats.js unchanged, test/median.test.js absent: the edits are only in the patch set\n'
    : 'UNEXPECTED: the workspace changed\n',
);
if (!same) process.exit(1);
run(['node', airlock, 'review', 'show', setId, '--diff', '--workspace', ws]);

say('A person accepts and merges it (written on the host, all-or-nothing)');
run(['node', airlock, 'review', 'accept', setId, '--workspace', ws]);
run(['node', airlock, 'review', 'merge', setId, '--workspace', ws]);

say('The tests pass on the host');
run(['node', '--test'], { capture: false });
say(`Done. The workspace is kept at ${ws}; every decision of this run is in the audit log (docs/audit.md: airlock audit tail)`);
// The demo's kernel container served a throwaway workspace: stop it so repeated runs do not pile up kernels.
for (const cli of ['docker', 'podman']) {
  const ids =
    spawnSync(cli, ['ps', '-aq', '--filter', `label=airlock.workspace=${ws}`], { encoding: 'utf8' })
      .stdout?.trim()
      .split('\n')
      .filter(Boolean) ?? [];
  if (ids.length) spawnSync(cli, ['rm', '-f', ...ids], { stdio: 'ignore' });
}
