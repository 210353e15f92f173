// The kernel in a real container on each engine: start, ping, read, refusals, kill -9 recovery, auth.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KernelSupervisor } from '../../../bootstrap';
import { type AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import { connectSocket } from '../../../protocol/src/node/socket-transport';
import { RpcClient } from '../../../protocol/src/rpc-client';
import { ENGINES, removeKernel, startKernel, tempWorkspace } from './helpers';

for (const engine of ENGINES) {
  describe(`kernel on ${engine}`, function () {
    this.timeout(120_000);
    let sup: KernelSupervisor;
    before(async () => {
      sup = await startKernel(engine, tempWorkspace());
    });
    after(async () => {
      if (sup) await removeKernel(sup);
    });

    it('answers ping and describes itself as running in a container', async () => {
      const client = await sup.ready();
      assert.equal((await client.request('kernel/ping', { nonce: 'x' })).nonce, 'x');
      const info = await client.request('kernel/info', {});
      assert.equal(info.inContainer, true);
      assert.equal(info.workspace, '/workspace');
      assert.equal(sup.engine.kind, engine);
    });

    it('reads a workspace file and refuses paths outside it', async () => {
      const client = await sup.ready();
      const r = await client.request('fs/read', { path: 'src/hello.ts' });
      assert.equal(r.content, 'export const hello = "world";\n');
      await assert.rejects(
        client.request('fs/read', { path: '../../etc/passwd' }),
        (e: AirlockError) => e.code === ErrorCodes.PathOutsideWorkspace,
      );
      await assert.rejects(
        client.request('fs/read', { path: '/etc/passwd' }),
        (e: AirlockError) => e.code === ErrorCodes.PathOutsideWorkspace,
      );
    });

    it('mounts the workspace read-only and runs with a read-only root, no capabilities', async () => {
      const info = await sup.engine.docker.getContainer(`airlock-kernel-${sup.paths.id}`).inspect();
      const ws = info.Mounts.find((m) => m.Destination === '/workspace');
      assert.equal(ws?.RW, false);
      assert.equal(info.HostConfig.ReadonlyRootfs, true);
      // The kernel process really holds no capabilities and cannot gain any.
      const status = fs.readFileSync(`/proc/${info.State.Pid}/status`, 'utf8');
      assert.match(status, /^CapEff:\s+0+$/m);
      assert.match(status, /^NoNewPrivs:\s+1$/m);
    });

    it('is restarted after kill -9 and the client reconnects', async () => {
      const container = sup.engine.docker.getContainer(`airlock-kernel-${sup.paths.id}`);
      const before = await container.inspect();
      const startedAt = (await (await sup.ready()).request('kernel/info', {})).startedAt;
      const states: string[] = [];
      const sub = sup.onDidChangeState((s) => states.push(s.type));
      assert.equal(spawnSync('kill', ['-9', String(before.State.Pid)]).status, 0);
      await new Promise<void>((resolve) => {
        const s = sup.onDidChangeState((st) => {
          if (st.type === 'ready') {
            s.dispose();
            resolve();
          }
        });
      });
      sub.dispose();
      assert.ok(states.includes('restarting'), states.join(','));
      const info = await (await sup.ready()).request('kernel/info', {});
      assert.ok(info.startedAt > startedAt, 'a new kernel process answers');
    });

    it('refuses a client with a wrong token', async () => {
      const client = new RpcClient(await connectSocket(sup.paths.socket));
      await assert.rejects(
        client.handshake({ name: 'intruder', version: '0' }, 'f'.repeat(64), { timeoutMs: 5000 }),
        (e: AirlockError) => e.code === ErrorCodes.Unauthorized,
      );
      client.dispose();
    });

    it('drops connections from a foreign uid (SO_PEERCRED) even with the right token', async () => {
      // Open every directory on the way to the socket so only the kernel's peer check can refuse.
      const opened: string[] = [];
      for (let d = sup.paths.socketDir; d !== '/' && !d.endsWith('/tmp'); d = path.dirname(d)) {
        fs.chmodSync(d, 0o755);
        opened.push(d);
      }
      const token = fs.readFileSync(sup.paths.token, 'utf8');
      // A child running as nobody connects and reports whether the kernel said anything.
      const script = `const net=require('net');const s=net.connect(${JSON.stringify(sup.paths.socket)});let got=0;
        s.on('connect',()=>{const b=Buffer.from(JSON.stringify({type:'hello',protocol:1,client:{name:'x',version:'1'},token:${JSON.stringify(token)}}));const h=Buffer.alloc(4);h.writeUInt32BE(b.length);s.write(Buffer.concat([h,b]));});
        s.on('data',d=>got+=d.length);s.on('close',()=>{console.log('closed '+got);process.exit(0)});s.on('error',e=>{console.log('closed '+got);process.exit(0)});setTimeout(()=>{console.log('open '+got);process.exit(0)},5000);`;
      const r = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
      for (const d of opened) fs.chmodSync(d, 0o700);
      assert.match(r.stdout.trim(), /^closed 0$/, r.stdout + r.stderr);
      assert.equal((await (await sup.ready()).request('kernel/ping', {})).pong, true);
    });
  });
}
