// Extension-host suite entry for the flow (code-server: flow.e2e.test.ts; desktop VS Code: run-test-electron.ts --suite flow).
import Mocha from 'mocha';
import { flowSuite } from './flow.suite';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 90_000, reporter: 'spec' });
  mocha.suite.emit('pre-require', globalThis, 'flow.suite', mocha);
  flowSuite();
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} extension-host test(s) failed`)) : resolve()));
  });
}
