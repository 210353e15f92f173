// What to do next, per error code, for errors that reach the CLI without a hint of their own (kernel, protocol, CLI).
import { AirlockError, ErrorCodes } from '../../protocol/src/errors';

const DOCTOR = 'run `airlock doctor` to check the engine, the kernel and its sandboxes';
const BUG = 'this is a bug in Airlock: please report it with the command you ran and `airlock doctor --json`';
const GENERIC = `${DOCTOR}; if it shows no problem, please report this error with the command you ran and \`airlock doctor --json\``;

/**
 * Hints by code. Keys cover every code the kernel, protocol and CLI raise without a hint (test/unit/cli/hints.test.ts
 * scans the sources for them), so a new hint-less error fails that test until it has a line here or a hint at its source.
 */
export const CODE_HINTS: Record<string, string> = {
  [ErrorCodes.Cancelled]: 'the request was cancelled (Ctrl-C, a closed connection or a stopped task); run the command again',
  [ErrorCodes.BadFrame]: 'the peer sent something that is not an Airlock frame: check that the socket belongs to the Airlock kernel',
  [ErrorCodes.FrameTooLarge]: 'a message exceeded the frame size limit; pass smaller inputs (e.g. --max-bytes) or split the request',
  [ErrorCodes.BadMessage]: 'the CLI and the kernel disagree on the protocol: rebuild (`npm run build`), then run the command again',
  [ErrorCodes.Unauthorized]:
    'only the user who started the kernel may connect; remove the `run/` folder in its state path' +
    ' (`airlock doctor --json` shows it) and retry',
  [ErrorCodes.BadParams]:
    "check the command's options (`airlock COMMAND --help`); if they look right, the CLI and kernel versions differ:" +
    ' rebuild with `npm run build`',
  [ErrorCodes.BadResult]: 'the kernel answered in a shape this CLI does not expect: rebuild both with `npm run build`',
  [ErrorCodes.ConnectionClosed]: `the kernel went away during the request; ${DOCTOR}`,
  [ErrorCodes.Internal]: BUG,
  [ErrorCodes.Config]: '`airlock config list` shows every setting and where it came from (docs/configuration.md)',
  [ErrorCodes.NotFound]: 'check the path: it is relative to the workspace (--workspace DIR, default the current folder)',
  CLI_USAGE: 'see `airlock COMMAND --help` for the usage',
  PROVIDER_REJECTED: "the provider refused the request: check the model name, the API key and the account's quota",
  PROVIDER_BAD_RESPONSE: 'the provider answered with something unexpected; retry, or try another model (--model)',
  REPLAY_BAD_FILE: 'a replay file has one JSON object per line as written by --record (docs/agent.md)',
  EVAL_BAD_TASK: 'a task folder holds task.yaml (id, title, language, kind, check), task.md and repo/: docs/eval.md, "Writing a task"',
  EVAL_NO_SUITE: 'pass a folder of task folders, e.g. `airlock eval examples/eval/starter`; --task takes a task folder name',
  EVAL_NO_REPLAY: 'with --provider replay every task needs a replay.jsonl: record one with `airlock eval SUITE --record DIR`',
  EVAL_WORKSPACE: 'eval copies each task into a temporary git repository: check that git is installed and the temp folder is writable',
  ATTEST_UNREADABLE:
    'the attestation file is not a DSSE envelope written by `airlock audit attest`: check the path, or attest the set again',
  AUDIT_BLAME_NO_LINE: 'the file has fewer lines than asked: check FILE:LINE (lines count from 1)',
  AUDIT_BLAME_UNSUPPORTED:
    'blame works on text files inside the workspace: pass a workspace-relative path (`airlock audit blame src/a.ts:12`)',
  EGRESS_BAD_SANDBOX: `the sandbox's egress socket could not be set up; ${DOCTOR}`,
  EGRESS_EXISTS:
    'the sandbox already has an egress socket (a sandbox id was reused): restart the kernel (`airlock doctor` restarts it if needed)',
  EXTERNAL_SESSION_CLOSED: 'this MCP session has ended: start `airlock mcp serve` again in your agent',
  MCP_BAD_MESSAGE:
    'the MCP server sent something that is not JSON-RPC (or too large): check the server with `airlock mcp list`; it was stopped',
  MCP_CALL_FAILED: 'the MCP server failed the call: `airlock mcp list` shows its state; the task goes on without it',
  MCP_DUPLICATE_SERVER: 'two MCP servers have the same name: `airlock mcp remove NAME` one of them',
  MCP_IMPORT_INVALID: 'the file is not a `.vscode/mcp.json` or `.mcp.json` Airlock can read: check its JSON (docs/mcp.md)',
  MCP_SERVER_GONE: 'the MCP server exited: `airlock mcp list` shows why; it starts again when its configuration is sent again',
  MCP_SERVER_START_FAILED:
    'the MCP server did not start in its sandbox: `airlock mcp list` shows its stderr; check the package with `airlock mcp add`',
  PATCH_VERIFY_CONTENT:
    'the accepted hunks could not be laid out as the merge would write them: review the set again (`airlock review show SET`)',
  PATCH_VERIFY_FAILED:
    'the tests could not run on the accepted hunks: `airlock review verify SET --json` shows why; `airlock doctor` checks the sandboxes',
  PATCH_VERIFY_UNSAFE_PATH:
    'the set names a path the verification will not write (outside the workspace, or through a symlink): reject that file',
  TOOL_BAD_ARGUMENTS: 'the model called a tool with invalid arguments; it is told and retries',
  TOOL_WRITE_IS_DIR: 'the model tried to write over a folder; it is told and retries',
  TOOL_BAD_RANGE: 'the model asked for lines outside the file; it is told and retries',
  TOOL_FAILED: 'a tool call failed; the model is told and carries on (the message says why)',
  TOOL_FILE_TOO_LARGE: 'the model tried to read a file over the read limit; it is told and reads a range instead',
  TOOL_BAD_PATTERN: 'the model sent an invalid search pattern; it is told and retries',
  AUDIT_UNAVAILABLE: `the kernel's audit log could not be opened, so it refuses to act (fail closed); ${DOCTOR} and see docs/audit.md`,
  TASK_UNAVAILABLE: `the kernel's task service did not start; ${DOCTOR}`,
  WORKFLOW_UNAVAILABLE: `the kernel's workflow store did not open; ${DOCTOR} and see docs/workflow.md`,
  POLICY_UNAVAILABLE:
    'the kernel has no usable policy, so it denies everything: ' + '`airlock policy check policies/<mode>.yaml` shows the problems',
  AUDIT_HEAD: BUG,
  AUDIT_ANCHOR_INVALID: 'the audit anchor file next to the state folder could not be read: check its permissions (docs/audit.md)',
  AUDIT_KEY_INVALID: 'the audit key file is damaged: restore it from a backup; `airlock audit verify` cannot check the log without it',
  AUDIT_WRITE_FAILED: 'the audit log could not be written (disk full or read-only?): `airlock audit stats` shows its size and free space',
  AUDIT_BAD_ENTRY: BUG,
  PATCH_UNSAFE_PATH: 'a patch may only write plain files inside the workspace: reject that file (`airlock review reject SET PATH`)',
  PATCH_BAD_PLAN: BUG,
  PATCH_NO_BLOB_SOURCE: BUG,
  PATCH_CONTENT_MISMATCH: 'nothing was merged; run `airlock review merge SET` again, and report it if it repeats',
  PATCH_NOTHING_TO_UNDO: 'undo reverts the last merge made in this workspace; `airlock review list` shows the patch sets',
  PATCH_EXPORT_FAILED: 'export the set without that file (reject it first), or merge it with `airlock review merge SET`',
  PATCH_SOURCE_CHANGED: 'the sandbox output changed after the set was made: run the task again for a fresh patch set',
  PATCH_SCAN_FAILED: 'the sandbox output could not be read: check free disk space in the state folder (`airlock doctor --json`)',
  PATCH_UNKNOWN_FILE: '`airlock review show SET` lists its files',
  PATCH_UNKNOWN_HUNK: '`airlock review show SET --diff` lists its hunks with their ids',
  PATCH_BLOB_NOT_FOUND: "the patch set's stored content is gone (pruned?): run the task again for a fresh patch set",
  PATCH_SET_NOT_FOUND: '`airlock review list` shows the patch sets this workspace has',
  PATCH_BAD_VOLUME_ID: BUG,
  POLICY_MODE: 'modes are strict, explore and debug (policies/<mode>.yaml)',
  POLICY_TOKEN_KEY: "the token key is in the workspace's state folder (`airlock doctor --json`); pass --key FILE to use another",
  POLICY_TOKEN_SCOPE: 'see docs/policy.md for the actions a token can name, and give --ttl a positive duration (e.g. 10m)',
  SANDBOX_AGENT_GONE: 'the sandbox stopped or its exec agent crashed (OOM?): create a new one',
  SANDBOX_BAD_EXEC: 'the command is not valid for a sandbox (empty, too long, or a relative cwd): docs/sandboxes.md lists the limits',
  SANDBOX_BAD_POOL_SIZE: 'pool sizes are whole numbers from 0 to 32: `airlock sandbox pools TEMPLATE=N`',
  SANDBOX_NOT_PAUSED: "`airlock sandbox list` shows each sandbox's state; only a paused one can be resumed",
  SANDBOX_CREATE_FAILED: `${DOCTOR} (a missing sandbox image is the usual cause)`,
  TEMPLATE_INVALID: 'fix the template file (docs/sandboxes.md lists the fields)',
  TASKS_PAUSE_REFUSED: "that task's sandbox template does not allow pausing (its preemption policy); cancel it instead",
  TASKS_RESUME_FAILED: 'a sandbox of the task could not be resumed: `airlock sandbox list` shows it; cancel the task and run it again',
  TASKS_STOPPED: `the kernel is shutting down; ${DOCTOR}`,
  TASKS_DUPLICATE: 'pick another task id, or leave it out to get a fresh one',
  TASKS_DEADLINE_PASSED: 'give the task a deadline in the future',
  TASKS_NOT_PAUSED: "`airlock tasks list` shows each task's state; only a task a person paused can be resumed",
  TASKS_FINISHED: 'the task already ended; `airlock tasks list` shows how, and `airlock review list` its patch sets',
  TASKS_PREEMPTED: 'a more urgent task took its place; it runs again on its own, `airlock tasks list` shows it',
  TASKS_FAILED: 'the task failed: the lines above say why; `airlock audit tail --session ID` shows what it did',
  STORE_SCHEMA: 'update Airlock, or open the state with the version that wrote it',
  WORKFLOW_SESSION_EXISTS: 'pick another session id, or continue the existing session',
  WORKFLOW_NO_TEST_RUNNER: `the kernel has no sandboxed test runner (no container engine?); ${DOCTOR}`,
  WORKFLOW_GUARD_FAILED:
    'the workflow mode refuses that step now: see docs/workflow.md, or switch mode with ' + '`airlock mode SESSION MODE --reason TEXT`',
  WORKFLOW_TEST_RUN_FAILED: `the tests could not be run in the sandbox; ${DOCTOR}`,
  WORKFLOW_TEST_TIMEOUT: "the tests took longer than allowed; make them faster or raise the template's limits (docs/workflow.md)",
  IMAGE_BUILD_FAILED: 'the offline image build failed: the lines above say why; `airlock doctor` retries it',
};

/** The error with a hint: its own, else the command's usage for usage errors, else one by code, else a generic one. */
export function withHint(err: unknown, usage?: string): AirlockError {
  const e = usageError(err) ?? AirlockError.from(err);
  if (e.hint) return e;
  const hint = e.code === 'CLI_USAGE' && usage ? `usage: ${usage}` : (CODE_HINTS[e.code] ?? GENERIC);
  return new AirlockError(e.code, e.message, hint, e.details);
}

/** node:util parseArgs throws TypeErrors (unknown option, missing value, stray argument): those are usage errors. */
function usageError(err: unknown): AirlockError | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return undefined;
  // Node's message goes on about `--` for positionals that start with a dash: the first sentence says what is wrong.
  const first = (err as Error).message.split(/\. (?=[A-Z])/)[0].replace(/\.$/, '');
  return new AirlockError('CLI_USAGE', first);
}
