// Harness self-check: an extension-host suite with one failing test, so a zero exit code is known to mean something.
import * as assert from 'node:assert/strict';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 10_000 });
  mocha.suite.emit('pre-require', globalThis, 'failing', mocha);
  describe('harness self-check', () => {
    it('fails on purpose', () => {
      assert.equal(1 + 1, 3);
    });
  });
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} extension-host test(s) failed`)) : resolve()));
  });
}
