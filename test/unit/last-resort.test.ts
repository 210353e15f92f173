// The kernel's last-resort handler: an uncaught error is logged and the process keeps serving; a storm exits.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { lastResortHandler, MAX_UNCAUGHT_PER_MINUTE } from '../../kernel/src/last-resort';

const MODULE = path.join(__dirname, '../../kernel/src/last-resort.ts');

function run(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [
      '--require',
      'tsx/cjs',
      '-e',
      `require(${JSON.stringify(MODULE)}).installLastResort({ log: (l) => process.stderr.write(l + '\\n'), exit: (c) => process.exit(c) });\n${script}`,
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('kernel last-resort handler', function () {
  this.timeout(30_000);

  it('an exception thrown in a callback and an unhandled rejection are logged; the process keeps serving', () => {
    const r = run(`setTimeout(() => { null.ready; }, 1); Promise.reject(new Error('nobody awaited me'));
      setTimeout(() => { process.stdout.write('still serving'); }, 100);`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'still serving');
    assert.match(r.stderr, /uncaught exception: error INTERNAL: Cannot read properties of null/);
    assert.match(r.stderr, /unhandled rejection: error INTERNAL: nobody awaited me/);
  });

  it('a storm of uncaught errors exits so bootstrap restarts the kernel clean', () => {
    const logs: string[] = [];
    let exited: number | undefined;
    let t = 0;
    const h = lastResortHandler({
      log: (l) => logs.push(l),
      exit: (c) => {
        exited = c;
      },
      now: () => t,
    });
    for (let i = 0; i < MAX_UNCAUGHT_PER_MINUTE; i++) h(new Error(`e${i}`), 'uncaught exception');
    assert.equal(exited, undefined);
    t = 61_000; // the earlier ones age out
    h(new Error('late'), 'uncaught exception');
    assert.equal(exited, undefined);
    for (let i = 0; i < MAX_UNCAUGHT_PER_MINUTE; i++) h(new Error(`b${i}`), 'uncaught exception');
    assert.equal(exited, 70);
  });
});
