// Runs the extension-host suite (test/e2e/suite) under @vscode/test-electron, for machines that can download VS Code.
// Usage: npx tsx test/e2e/run-test-electron.ts [--suite kernel|flow] [--vscode-version 1.100.3] [--vscode-executable /path/to/code]
// --suite flow runs the task → review flow suite (suite/flow.ts) on a copy of examples/sample-project.
// Not part of `npm test`: it downloads VS Code into .vscode-test/ (the offline tier is kernel.e2e.test.ts on code-server).
import { runTests } from '@vscode/test-electron';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatError } from '../../protocol/src/errors';
import { bundleSuite } from './harness/extensionTests';
import { makeWorkspace, REPO_ROOT, tempDir } from './harness/env';
import { removeKernelContainers } from './harness/kernelContainers';
import { writeFlowWorkspace } from './suite/flowFixture';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  // The development extension is this checkout: dist/extension.js plus the kernel bundle it starts.
  const flow = arg('--suite') === 'flow';
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs'), 'extension', 'kernel', ...(flow ? ['webview'] : [])], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
  });
  const tmp = tempDir('electron');
  const workspace = flow
    ? tempDir('electron-flow-ws')
    : makeWorkspace({ 'src/hello.ts': 'export const hello = "world";\n' }, 'electron-ws');
  if (flow) writeFlowWorkspace(workspace, REPO_ROOT);
  try {
    const entry = flow ? 'flow' : 'index';
    const extensionTestsPath = await bundleSuite(path.join(__dirname, 'suite', `${entry}.ts`), path.join(tmp, 'suite', `${entry}.js`));
    await runTests({
      version: arg('--vscode-version') ?? process.env.AIRLOCK_VSCODE_VERSION,
      vscodeExecutablePath: arg('--vscode-executable') ?? process.env.AIRLOCK_VSCODE_EXECUTABLE,
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath,
      // --disable-workspace-trust: the suite expects the trusted path (the untrusted one is covered in kernel.e2e.test.ts).
      launchArgs: [
        workspace,
        '--disable-extensions',
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        '--user-data-dir',
        path.join(tmp, 'user-data'),
        '--extensions-dir',
        path.join(tmp, 'extensions'),
      ],
      extensionTestsEnv: { XDG_STATE_HOME: path.join(tmp, 'state') },
    });
    return 0;
  } catch (e) {
    console.error(`extension-host suite failed under @vscode/test-electron: ${formatError(e)}`);
    return 1;
  } finally {
    await removeKernelContainers(workspace);
    for (const d of [tmp, workspace]) fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(formatError(e));
    process.exit(1);
  },
);
