// Kernel handlers in-process: fs/read behaviour and event delivery, without a container.
import * as assert from 'node:assert/strict';
import { type AirlockError, ErrorCodes } from '../../protocol/src/errors';
import { inProcessKernel } from './kernel-harness';

describe('kernel in-process', () => {
  it('reads text, reports binary as base64 and truncates at maxBytes', async () => {
    const k = await inProcessKernel({
      'a.txt': 'hello\n',
      'b.bin': '\u0000\u0001x',
      'big.txt': 'y'.repeat(5000),
      'server.pem': '-----BEGIN PRIVATE KEY-----',
    });
    try {
      assert.deepEqual(await k.client.request('fs/read', { path: 'a.txt' }), {
        path: 'a.txt',
        content: 'hello\n',
        encoding: 'utf8',
        size: 6,
        truncated: false,
      });
      assert.equal((await k.client.request('fs/read', { path: 'b.bin' })).encoding, 'base64');
      const big = await k.client.request('fs/read', { path: 'big.txt', maxBytes: 100 });
      assert.equal(big.content.length, 100);
      assert.equal(big.truncated, true);
      await assert.rejects(k.client.request('fs/read', { path: 'nope.txt' }), (e: AirlockError) => e.code === ErrorCodes.NotFound);
      await assert.rejects(
        k.client.request('fs/read', { path: '.' }),
        (e: AirlockError) => e.code === ErrorCodes.NotFound && /not a regular file/.test(e.message),
      );
      // The default policy keeps secrets out even for a person's read, and every decision is audited.
      await assert.rejects(
        k.client.request('fs/read', { path: 'server.pem' }),
        (e: AirlockError) => e.code === ErrorCodes.PolicyDenied && /denied/.test(e.message),
      );
      const decisions = (await k.client.request('audit/query', { action: 'policy.decision' })).entries.map(
        (e) => `${e.decision} ${e.resource}`,
      );
      assert.deepEqual(decisions.sort(), [
        'allow fs.read a.txt',
        'allow fs.read b.bin',
        'allow fs.read big.txt',
        'deny fs.read server.pem',
      ]);
    } finally {
      k.dispose();
    }
  });

  it('pushes bus events to the client', async () => {
    const k = await inProcessKernel();
    try {
      const got = new Promise<string>((r) => k.client.onEvent('kernel/log', (d) => r(d.message)));
      k.services.events.emit('kernel/log', { level: 'info', message: 'hi' });
      assert.equal(await got, 'hi');
    } finally {
      k.dispose();
    }
  });
});
