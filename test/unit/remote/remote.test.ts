// Remote engines, host side: which endpoints count as remote, plain tcp refused, the transport choice, the kernel's
// create options on volumes (no host path), and the RPC client's hook that holds task/start for the snapshot sync.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelCreateOptions } from '../../../bootstrap/kernel';
import type { BootstrapConfig, Paths } from '../../../core/src/config/bootstrap';
import type { Engine } from '../../../core/src/engine/detect';
import { isRemoteEngine, requireSecureEngine, useExecTransport } from '../../../core/src/remote/mode';
import type { RemoteKernel } from '../../../core/src/remote/volumes';
import { parseEngineHost } from '../../../protocol/src/node/engine-endpoint';
import { RpcClient } from '../../../protocol/src/rpc-client';
import { createInProcessPair } from '../../../protocol/src/transport';

const TLS = { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' };

describe('remote engine: endpoints and transport', () => {
  it('tcp and ssh are remote; unix and npipe are not; plain tcp is refused with a hint', () => {
    assert.equal(isRemoteEngine(parseEngineHost('tcp://10.0.0.2:2376', TLS)), true);
    assert.equal(isRemoteEngine(parseEngineHost('ssh://me@build-box')), true);
    assert.equal(isRemoteEngine(parseEngineHost('unix:///var/run/docker.sock')), false);
    assert.equal(isRemoteEngine(parseEngineHost('npipe:////./pipe/docker_engine')), false);
    assert.equal(isRemoteEngine(undefined), false);
    assert.throws(
      () => requireSecureEngine(parseEngineHost('tcp://10.0.0.2:2375'), 'tcp://10.0.0.2:2375'),
      (e: { code: string; hint?: string }) => e.code === 'ENGINE_INSECURE' && /DOCKER_TLS_VERIFY/.test(e.hint ?? ''),
    );
    requireSecureEngine(parseEngineHost('tcp://10.0.0.2:2376', TLS), 'x');
    requireSecureEngine(parseEngineHost('ssh://me@build-box'), 'x');
  });

  it('uses the exec stream for remote engines and named pipes, the unix socket otherwise, unless told', () => {
    assert.equal(useExecTransport(parseEngineHost('tcp://h:2376', TLS), 'auto'), true);
    assert.equal(useExecTransport(parseEngineHost('npipe:////./pipe/docker_engine'), 'auto'), true);
    assert.equal(useExecTransport(parseEngineHost('/var/run/docker.sock'), 'auto'), false);
    assert.equal(useExecTransport(parseEngineHost('/var/run/docker.sock'), 'exec'), true);
    assert.equal(useExecTransport(parseEngineHost('tcp://h:2376', TLS), 'socket'), false);
  });
});

describe('remote engine: the kernel container on volumes', () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-unit-ws-'));
  const paths: Paths = {
    id: 'abc',
    root: '/home/me/.local/state/airlock/ws-abc',
    state: '/home/me/.local/state/airlock/ws-abc/state',
    socketDir: '/home/me/.local/state/airlock/ws-abc/run',
    socket: '/home/me/.local/state/airlock/ws-abc/run/kernel.sock',
    token: '/x/kernel.token',
  };
  const engine = {
    kind: 'docker',
    socket: 'tcp://10.0.0.2:2376',
    endpoint: parseEngineHost('tcp://10.0.0.2:2376', TLS),
    rootless: false,
    warnings: [],
  } as unknown as Engine;
  const cfg = {
    workspace: ws,
    runtime: 'auto',
    kernelNetwork: 'host',
    kernelTransport: 'auto',
    engineHostSocket: '/var/run/docker.sock',
    memoryBytes: 1 << 30,
    pidsLimit: 1024,
    outputsSize: '2g',
    outputsInodes: 1000,
    maxRestarts: 1,
    startTimeoutMs: 1,
    pingTimeoutMs: 1,
  } as unknown as BootstrapConfig;
  const outputs = {
    name: 'airlock-outputs-abc',
    mountpoint: '/var/lib/docker/volumes/airlock-outputs-abc/_data',
    options: 'size=1',
    bytes: 1,
  };
  const remote: RemoteKernel = {
    volumes: { state: 'airlock-state-abc', ipc: 'airlock-ipc-abc', workspace: 'airlock-ws-abc' },
    hostPaths: { state: '/var/lib/docker/volumes/airlock-state-abc/_data', workspace: '/var/lib/docker/volumes/airlock-ws-abc/_data' },
    engineSocket: '/var/run/docker.sock',
    engineGid: 998,
  };

  it('without volumes a remote engine is refused, as before', () => {
    assert.throws(
      () => kernelCreateOptions(engine, cfg, paths, 'img', outputs),
      (e: { code: string }) => e.code === 'ENGINE_REMOTE_UNSUPPORTED',
    );
  });

  it("binds only volumes and the engine host's socket; sandboxes get the volumes' mountpoints; no seccomp dir", () => {
    const o = kernelCreateOptions(engine, cfg, paths, 'img', outputs, remote);
    assert.deepEqual(o.HostConfig!.Binds, [
      'airlock-ws-abc:/workspace:ro',
      'airlock-state-abc:/state',
      'airlock-ipc-abc:/run/airlock',
      '/var/run/docker.sock:/run/engine.sock',
      'airlock-outputs-abc:/outputs',
    ]);
    const env = Object.fromEntries(o.Env!.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    assert.equal(env.AIRLOCK_HOST_WORKSPACE, remote.hostPaths.workspace);
    assert.equal(env.AIRLOCK_HOST_STATE_DIR, remote.hostPaths.state);
    assert.equal(env.AIRLOCK_SECCOMP_DIR, undefined);
    // The relay (the kernel's peer through the exec stream) runs as the kernel's own user.
    assert.equal(env.AIRLOCK_ALLOWED_UID, o.User!.split(':')[0]);
    assert.deepEqual(o.HostConfig!.GroupAdd, ['998']);
    assert.ok(!JSON.stringify(o).includes(paths.root), 'no host state path anywhere in the options');
  });
});

describe('RpcClient.beforeSend', () => {
  it('holds a request until the host-side work is done, and fails it (unsent) when that work fails', async () => {
    const [a, b] = createInProcessPair();
    const client = new RpcClient(a);
    const sent: string[] = [];
    b.onMessage((m) => {
      const r = m as { id: string; method: string };
      sent.push(r.method);
      b.send({ type: 'response', id: r.id, ok: true, result: { pong: true, time: 1 } });
    });
    let release!: () => void;
    client.beforeSend = (m) =>
      m === 'kernel/ping'
        ? new Promise<void>((r) => {
            release = r;
          })
        : undefined;
    const p = client.request('kernel/ping', {});
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(sent, [], 'not sent before the work is done');
    release();
    assert.equal((await p).pong, true);
    client.beforeSend = () => Promise.reject(new Error('sync failed'));
    await assert.rejects(client.request('kernel/ping', {}), /sync failed/);
    assert.deepEqual(sent, ['kernel/ping']);
    client.dispose();
  });
});
