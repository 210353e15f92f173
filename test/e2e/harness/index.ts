// The e2e harness: a real VS Code (code-server) driven by Debian's Chromium through playwright-core.
export { ARTIFACTS_DIR, REPO_ROOT, makeWorkspace, sleep, tempDir, waitFor } from './env';
export { BASE_SETTINGS, CodeServer, type CodeServerOptions } from './codeServer';
export { launchBrowser, printf, type Browser, type E2EPage } from './browser';
export {
  findWebview,
  openFile,
  openWorkbench,
  readNotifications,
  readStatusBar,
  runCommand,
  screenshot,
  statusBarEntryNames,
  statusBarItems,
  waitForNotification,
  waitForStatusBar,
  webviewFrame,
  withPage,
  type StatusBarItem,
} from './workbench';
export { bundleSuite, extensionTestUrl, runExtensionTests, type ExtensionTestOptions, type ExtensionTestRun } from './extensionTests';
export { kernelContainers, removeKernelContainers, type KernelContainer } from './kernelContainers';
