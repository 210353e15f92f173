// The flow tests' workspace: a copy of examples/sample-project, a replay with exactly one `ask`, and workspace settings
// (explore mode: free edits, reviewed as patches; CI workflow files are approved one by one — rule ci-and-git-ask).
import * as fs from 'node:fs';
import * as path from 'node:path';

export const FLOW_PROMPT = 'Fix median() so it sorts numbers by value';
export const REPLAY_FILE = 'e2e.replay.jsonl';
export const STATS = 'src/stats.js';
/** The two edits the replay makes to src/stats.js, far enough apart to be two hunks. */
export const HEADER_OLD = '// Small statistics helpers used by the report generator.';
export const HEADER_NEW = '// Statistics helpers for the report generator (numbers are sorted by value).';
export const SORT_OLD = 'const sorted = [...values].sort();';
export const SORT_NEW = 'const sorted = [...values].sort((a, b) => a - b);';
/** explore's policy answers `ask` for writes under .github/workflows/ (rule ci-and-git-ask): the flow's one approval. */
export const ASKED_PATH = '.github/workflows/test.yml';
export const ASKED_REASON = 'git internals and CI workflows are approved one by one';
const WORKFLOW_YAML =
  'name: test\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: node --test\n';
/** Allowed in explore (rule dev-commands): runs the project's tests in the sandbox. */
export const TEST_COMMAND = ['node', '--test'];
export const FINAL_TEXT = 'Done: `median` now sorts numerically, and CI runs the tests.';
/** The patch set: src/stats.js (+2 −2, two hunks) and the new workflow file. */
export const SET_FILES = 2;
export const SET_ADDED = 2 + WORKFLOW_YAML.split('\n').length - 1;

type Ev = Record<string, unknown>;
const call = (index: number, id: string, name: string, args: object): Ev[] => [
  { type: 'tool-call-start', index, id, name },
  { type: 'tool-call-delta', index, id, argumentsDelta: JSON.stringify(args) },
  { type: 'tool-call-end', index, id, name, arguments: JSON.stringify(args) },
];
const usage = (i: number, o: number): Ev => ({ type: 'usage', usage: { inputTokens: i, outputTokens: o } });
const words = (text: string): Ev[] => text.split(/(?<= )/).map((t) => ({ type: 'text-delta', text: t }));

/** Replay turns: read, rewrite src/stats.js (two hunks), add a CI workflow (the one ask), run the tests, summarise. */
export function flowReplay(original: string): string {
  const edited = original.replace(HEADER_OLD, HEADER_NEW).replace(SORT_OLD, SORT_NEW);
  if (edited === original || !original.includes(SORT_OLD) || !original.includes(HEADER_OLD))
    throw new Error(`${STATS} of the sample project changed: update the e2e replay`);
  const turns: Ev[][] = [
    [
      ...words('I will read the **statistics** module first, then fix `median`. '),
      ...call(0, 'c1', 'fs.read', { path: STATS }),
      usage(900, 30),
      { type: 'finish', reason: 'tool-calls' },
    ],
    [
      ...words('`median` sorts with the default comparator (as strings). Rewriting it with a numeric sort. '),
      ...call(0, 'c2', 'fs.write', { path: STATS, content: edited }),
      usage(1200, 140),
      { type: 'finish', reason: 'tool-calls' },
    ],
    [
      ...words('Adding a CI workflow that runs the tests on every push. '),
      ...call(0, 'c3', 'fs.write', { path: ASKED_PATH, content: WORKFLOW_YAML }),
      usage(1500, 90),
      { type: 'finish', reason: 'tool-calls' },
    ],
    [
      ...words('Running the tests in the sandbox. '),
      ...call(0, 'c4', 'exec', { argv: TEST_COMMAND }),
      usage(1700, 40),
      { type: 'finish', reason: 'tool-calls' },
    ],
    [...words(FINAL_TEXT), usage(1900, 20), { type: 'finish', reason: 'stop' }],
  ];
  return turns.map((events, i) => JSON.stringify({ turn: i + 1, events })).join('\n') + '\n';
}

/** Fills `dir` with the sample project, the replay and `.vscode/settings.json` (replay provider, explore mode). */
export function writeFlowWorkspace(dir: string, repoRoot: string): { original: string } {
  fs.cpSync(path.join(repoRoot, 'examples', 'sample-project'), dir, { recursive: true });
  const original = fs.readFileSync(path.join(dir, STATS), 'utf8');
  fs.writeFileSync(path.join(dir, REPLAY_FILE), flowReplay(original));
  fs.mkdirSync(path.join(dir, '.vscode'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, '.vscode', 'settings.json'),
    JSON.stringify(
      {
        'airlock.provider': 'replay',
        'airlock.replay.file': REPLAY_FILE,
        'airlock.defaultMode': 'explore',
      },
      null,
      2,
    ),
  );
  return { original };
}

/** What src/stats.js must be after accepting the sort hunk and rejecting the header hunk. */
export function expectedAfterMerge(original: string): string {
  return original.replace(SORT_OLD, SORT_NEW);
}
