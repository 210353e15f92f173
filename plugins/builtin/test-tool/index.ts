// Built-in plugin `test-tool` (docs/plugins.md): finds the project's test runner and runs its tests in the plugin's own
// code-executor sandbox (read-only workspace, no network), answering pass/fail per test. Detection and parsing are the
// workflow's own (kernel/src/workflow), so a guard and this tool read the same run the same way.
import { z } from 'zod';
import { definePlugin, defineTool, runPlugin, type ToolContext } from '../../../sdk/src/index';
import { detectTestCommand, PROBE_SOURCE, ProjectProbe, type DetectedTests } from '../../../kernel/src/workflow/detect-tests';
import { checkedResult, type TestRunResult } from '../../../kernel/src/workflow/test-runner';
import { runCommand } from '../shared/run';

const MAX_OUTPUT = 8 * 1024 * 1024;
/** What a run may write: caches and temp files go to the sandbox's /tmp, never the (read-only) workspace. */
const RUN_ENV = {
  FORCE_COLOR: '0',
  NO_COLOR: '1',
  CI: '1',
  HOME: '/tmp',
  npm_config_cache: '/tmp/.npm',
  npm_config_update_notifier: 'false',
  PYTHONDONTWRITEBYTECODE: '1',
  PYTEST_ADDOPTS: '-p no:cacheprovider',
  GOCACHE: '/tmp/go-cache',
};

/** The workflow's probe, run as it is in a guard's sandbox (`node -e`, cwd = the workspace). */
export async function detect(ctx: ToolContext): Promise<DetectedTests> {
  const r = await runCommand(['node', '-e', PROBE_SOURCE], {
    cwd: ctx.workspace.root,
    signal: ctx.signal,
    timeoutMs: 30_000,
    maxBytes: 1 << 20,
  });
  let probe: ProjectProbe;
  try {
    probe = ProjectProbe.parse(JSON.parse(r.stdout));
  } catch {
    throw new Error(`could not look at the project (exit ${r.exitCode}): ${r.stderr.slice(-500)}`);
  }
  const d = detectTestCommand(probe);
  if (!d) {
    throw new Error(
      'no test runner found in the project: add package.json scripts.test, a mocha setup, go.mod, a pytest configuration' +
        ' or *.test.js files',
    );
  }
  return d;
}

/** The summary the model reads: counts, then each failing test by name, then the others. */
export function summarise(d: DetectedTests, r: TestRunResult): string {
  const head = `${d.argv.join(' ')} (${r.runner}): ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped, exit ${r.exitCode}`;
  const order = { failed: 0, passed: 1, skipped: 2 } as const;
  const tests = [...r.tests].sort((a, b) => order[a.status] - order[b.status]).map((t) => `${t.status.padEnd(7)} ${t.name}`);
  return [head, ...tests].join('\n');
}

const run = defineTool({
  name: 'run',
  description: "Runs the project's tests (runner detected: npm test, mocha, node --test, pytest, go test) and reports pass/fail per test",
  input: z.object({ timeoutSeconds: z.number().int().min(5).max(1800).default(600) }),
  async run(i, ctx) {
    if (!ctx.workspace.root) throw new Error('test-tool has no workspace (capabilities.reads)');
    const d = await detect(ctx);
    ctx.log.info(`running ${d.argv.join(' ')} (${d.kind})`);
    await ctx.progress(0, undefined, `running ${d.argv.join(' ')}`);
    const r = await runCommand(d.argv, {
      cwd: ctx.workspace.root,
      signal: ctx.signal,
      timeoutMs: i.timeoutSeconds * 1000,
      maxBytes: MAX_OUTPUT,
      env: RUN_ENV,
      merge: true,
    });
    if (r.timedOut) throw new Error(`the tests did not finish within ${i.timeoutSeconds} s (every process of the run was killed)`);
    if (r.exitCode === 127) throw new Error(`${d.argv[0]} is not installed in this sandbox: ${r.stdout.slice(-500)}`);
    const result = checkedResult(r.stdout, r.exitCode); // unreadable or inconsistent output is an error, never a pass
    return {
      text: summarise(d, result),
      data: {
        command: d.argv,
        kind: d.kind,
        runner: result.runner,
        exitCode: result.exitCode,
        passed: result.passed,
        failed: result.failed,
        skipped: result.skipped,
        tests: result.tests,
      },
    };
  },
});

export const plugin = definePlugin({
  name: 'test-tool',
  version: '1.0.0',
  description: "Runs the project's tests in a sandbox and reports pass/fail per test (never changes the workspace).",
  capabilities: { reads: ['**'], exec: ['npm test *', 'npx mocha *', 'node *', 'go test *', 'pytest *', 'python -m pytest *'] },
  tools: [run],
});

if (require.main === module) void runPlugin(plugin);
