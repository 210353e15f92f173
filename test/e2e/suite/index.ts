// Extension-host suite entry: VS Code (code-server or @vscode/test-electron) calls run() inside the extension host.
import Mocha from 'mocha';
import { kernelSuite } from './kernel.suite';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  // Installs describe/it as globals for the suite definitions below (what mocha does before loading a file).
  mocha.suite.emit('pre-require', globalThis, 'kernel.suite', mocha);
  kernelSuite();
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} extension-host test(s) failed`)) : resolve()));
  });
}
