// The exec-stream transport against a real engine: the host reaches the kernel through `docker exec` of the relay in
// the kernel image (no unix socket on the host side), with the same handshake, token and deadlines as the socket.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KernelSupervisor } from '../../../bootstrap';
import { connectKernel } from '../../../bootstrap/kernel';
import { execLink, socketLink } from '../../../core/src/remote/link';
import { RpcClient } from '../../../protocol/src/rpc-client';
import { removeKernel, tempWorkspace } from '../kernel/helpers';

describe('exec-stream kernel transport (local Docker, AIRLOCK_KERNEL_TRANSPORT=exec)', function () {
  this.timeout(300_000);
  let sup: KernelSupervisor;
  let ws: ReturnType<typeof tempWorkspace>;
  before(async () => {
    ws = tempWorkspace();
    // 3 MB: several maximum-size reads of the stream's chunks and frames across it.
    fs.writeFileSync(path.join(ws.workspace, 'big.txt'), 'x'.repeat(3 * 1024 * 1024));
    process.env.AIRLOCK_KERNEL_TRANSPORT = 'exec';
    try {
      sup = await KernelSupervisor.start({ ...ws, runtime: 'docker', maxRestarts: 2 });
    } finally {
      delete process.env.AIRLOCK_KERNEL_TRANSPORT;
    }
  });
  after(async () => {
    if (sup) await removeKernel(sup);
  });

  it('serves requests over the exec stream, with the socket file gone from the host side', async () => {
    const container = sup.engine.docker.getContainer(`airlock-kernel-${sup.paths.id}`);
    // The host's path to the socket dir moves away (the container's bind keeps the directory itself): no unix
    // connection can be made from here, so what answers below came through the relay.
    const moved = `${sup.paths.socketDir}.moved`;
    fs.renameSync(sup.paths.socketDir, moved);
    let client: RpcClient | undefined;
    try {
      await assert.rejects(connectKernel(socketLink(sup.paths), 2_000), /ENOENT/);
      const c = (client = await connectKernel(execLink(container), 10_000));
      const pings = await Promise.all([1, 2, 3].map((i) => c.request('kernel/ping', { nonce: `n${i}` })));
      assert.deepEqual(
        pings.map((p) => p.nonce),
        ['n1', 'n2', 'n3'],
      );
      const r = await c.request('fs/read', { path: 'big.txt', maxBytes: 8 * 1024 * 1024 });
      assert.equal(r.size, 3 * 1024 * 1024);
      assert.equal(r.content.length, 3 * 1024 * 1024);
      assert.ok(/^x+$/.test(r.content));
    } finally {
      client?.dispose();
      fs.renameSync(moved, sup.paths.socketDir);
    }
  });

  it('still requires the per-workspace token: a wrong one is refused', async () => {
    const container = sup.engine.docker.getContainer(`airlock-kernel-${sup.paths.id}`);
    const link = execLink(container);
    const client = new RpcClient(await link.connect());
    try {
      await assert.rejects(client.handshake({ name: 'intruder', version: '0' }, 'f'.repeat(64), { timeoutMs: 10_000 }), /token/);
    } finally {
      client.dispose();
    }
  });

  it("leaves no relay behind when a client disconnects (the kernel container's pids are limited)", async () => {
    const container = sup.engine.docker.getContainer(`airlock-kernel-${sup.paths.id}`);
    const relays = async () => ((await container.top()).Processes ?? []).filter((p: string[]) => p.join(' ').includes('relay.js')).length;
    // Only the supervisor's own connection stays open; the earlier tests' relays go as their clients went.
    const settle = async (n: number) => {
      const end = Date.now() + 10_000;
      while ((await relays()) !== n && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      return relays();
    };
    assert.equal(await settle(1), 1);
    const clients = await Promise.all([1, 2, 3].map(() => connectKernel(execLink(container), 10_000)));
    assert.equal(await relays(), 4);
    for (const c of clients) c.dispose();
    assert.equal(await settle(1), 1);
  });

  it("the supervisor's own client (connected through the exec link) answers", async () => {
    const c = await sup.ready();
    assert.equal((await c.request('kernel/ping', { nonce: 'sup' })).nonce, 'sup');
  });
});
