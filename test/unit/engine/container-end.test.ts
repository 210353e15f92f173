// A kernel that exits during start: the error the person (or a test's log) sees carries the kernel's last output.
import * as assert from 'node:assert/strict';
import type Docker from 'dockerode';
import type { KernelLink } from '../../../core/src/remote/link';
import { exitedDuringStart, tailLogs } from '../../../core/src/engine/container-end';
import { waitForKernel } from '../../../bootstrap/kernel';

const frameHeader = (n: number) => {
  const h = Buffer.alloc(8);
  h[0] = 2;
  h.writeUInt32BE(n, 4);
  return h;
};

/** A container whose logs are the engine's non-TTY frames (an 8-byte header per chunk). */
const exitedContainer = (lines: string[]) =>
  ({
    logs: async () => Buffer.concat(lines.map((l) => Buffer.concat([frameHeader(l.length + 1), Buffer.from(`${l}\n`)]))),
  }) as unknown as Docker.Container;

describe('a kernel that exits during start (core/src/engine/container-end.ts)', () => {
  it('the error names the exit and carries the last output, with a hint', async () => {
    const e = await exitedDuringStart(
      exitedContainer(['airlock kernel 0.1.0: protected folder /opt/airlock', 'error INTERNAL: x is not defined']),
    );
    assert.equal(e.code, 'KERNEL_START_FAILED');
    assert.match(e.message, /exited during start; its last output:\nairlock kernel 0\.1\.0.*\nerror INTERNAL: x is not defined$/);
    assert.ok(e.hint);
  });

  it('without output (or a container already gone) it still says what happened', async () => {
    assert.equal((await exitedDuringStart(undefined)).message, 'the kernel container exited during start');
  });

  it('waitForKernel stops at once with that error, not at its deadline', async () => {
    const link = { ready: () => false } as unknown as KernelLink;
    const why = await exitedDuringStart(exitedContainer(['error INTERNAL: boom']));
    const t0 = Date.now();
    await assert.rejects(
      waitForKernel(link, 30_000, 1_000, async () => why),
      (e: Error) => e === why && /boom/.test(e.message),
    );
    assert.ok(Date.now() - t0 < 5_000);
  });
});

describe('tailLogs', () => {
  it('reads framed output whole, whatever the frame lengths are', async () => {
    const long = 'x'.repeat(300);
    assert.equal(await tailLogs(exitedContainer(['short', long, 'last'])), `short\n${long}\nlast`);
  });
  it('takes unframed (TTY) output as it is', async () => {
    const tty = { logs: async () => Buffer.from('plain line\r\nnext\n') } as unknown as Docker.Container;
    assert.equal(await tailLogs(tty), 'plain line\r\nnext');
  });
});
