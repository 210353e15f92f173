// One error display: code, message and hint everywhere; --verbose (or AIRLOCK_VERBOSE=1) adds the details.
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { runCli } from '../../../cli/src/main';
import { AirlockError, formatError } from '../../../protocol/src/errors';

describe('CLI error display', () => {
  it("prints details and a bug's stack only with --verbose", async () => {
    const e = new AirlockError('SANDBOX_EXEC_FAILED', 'the command failed', 'see the output', { exitCode: 3, stderr: 'boom' });
    assert.equal(formatError(e), 'error SANDBOX_EXEC_FAILED: the command failed\n  hint: see the output');
    assert.match(
      formatError(e, { verbose: true }),
      /^error SANDBOX_EXEC_FAILED: the command failed\n {2}hint: see the output\n {2}details: \{\n {4}"exitCode": 3,/,
    );
    assert.match(formatError(new TypeError('x is undefined'), { verbose: true }), /^error INTERNAL: x is undefined\n {2}stack: at /);
    assert.doesNotMatch(formatError(new TypeError('x is undefined')), /stack/);
  });

  it('--verbose is accepted by every command and not passed on to it', async () => {
    const lines: string[] = [];
    const io = {
      out: (l: string) => lines.push(l),
      err: (l: string) => lines.push(l),
      readStdin: async () => '',
      cwd: os.tmpdir(),
      env: {},
    };
    assert.equal(await runCli(['config', 'get', 'agent.nope', '--verbose'], io), 2);
    assert.match(lines.join('\n'), /^error CONFIG_UNKNOWN_KEY: unknown configuration key "agent\.nope"\n {2}hint: one of: /);
  });
});
