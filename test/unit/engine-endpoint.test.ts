// Engine detection table: every address form people set (unix, npipe, tcp with and without TLS, ssh), the docker
// context in use, and each platform's usual sockets, in order.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { candidateSockets } from '../../bootstrap';
import { dockerContextHost, parseEngineHost } from '../../protocol/src/node/engine-endpoint';

describe('engine addresses', () => {
  const home = '/home/u';
  const cases: Array<[string, NodeJS.ProcessEnv, unknown]> = [
    ['unix:///var/run/docker.sock', {}, { type: 'unix', path: '/var/run/docker.sock' }],
    ['/run/user/1000/podman/podman.sock', {}, { type: 'unix', path: '/run/user/1000/podman/podman.sock' }],
    ['npipe:////./pipe/docker_engine', {}, { type: 'npipe', path: '\\\\.\\pipe\\docker_engine' }],
    ['npipe:////./pipe/podman-machine-default', {}, { type: 'npipe', path: '\\\\.\\pipe\\podman-machine-default' }],
    ['tcp://10.0.0.5:2375', {}, { type: 'tcp', host: '10.0.0.5', port: 2375, tls: null }],
    [
      'tcp://engine.example:2376',
      {},
      {
        type: 'tcp',
        host: 'engine.example',
        port: 2376,
        tls: { ca: '/home/u/.docker/ca.pem', cert: '/home/u/.docker/cert.pem', key: '/home/u/.docker/key.pem' },
      },
    ],
    [
      'tcp://127.0.0.1:9999',
      { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
      { type: 'tcp', host: '127.0.0.1', port: 9999, tls: { ca: '/certs/ca.pem', cert: '/certs/cert.pem', key: '/certs/key.pem' } },
    ],
    ['tcp://127.0.0.1:9999', { DOCKER_TLS_VERIFY: '0' }, { type: 'tcp', host: '127.0.0.1', port: 9999, tls: null }],
    ['ssh://me@build-box', {}, { type: 'ssh', host: 'build-box', port: 22, user: 'me' }],
    ['ssh://build-box:2222', {}, { type: 'ssh', host: 'build-box', port: 2222, user: undefined }],
  ];
  for (const [url, env, want] of cases) {
    it(`${url}${Object.keys(env).length ? ` with ${JSON.stringify(env)}` : ''}`, () =>
      assert.deepEqual(parseEngineHost(url, env, home), want));
  }

  it('refuses what it cannot connect to safely, with a hint', () => {
    for (const bad of [
      'ftp://x',
      'unix://relative.sock',
      'tcp://user:pw@h:2375',
      'ssh://u:secret@h',
      'npipe://x',
      'tcp://h\0:1',
      'docker.sock',
    ]) {
      assert.throws(
        () => parseEngineHost(bad, {}, home),
        (e: { code?: string; hint?: string }) => e.code === 'CONFIG_INVALID' && !!e.hint,
        bad,
      );
    }
  });

  it('reads the docker context in use (config.json or DOCKER_CONTEXT) and its TLS folder', () => {
    const h = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-ctx-'));
    const id = createHash('sha256').update('remote').digest('hex');
    fs.mkdirSync(path.join(h, '.docker', 'contexts', 'meta', id), { recursive: true });
    fs.mkdirSync(path.join(h, '.docker', 'contexts', 'tls', id, 'docker'), { recursive: true });
    fs.writeFileSync(
      path.join(h, '.docker', 'contexts', 'meta', id, 'meta.json'),
      JSON.stringify({ Name: 'remote', Endpoints: { docker: { Host: 'tcp://10.1.2.3:2376' } } }),
    );
    fs.writeFileSync(path.join(h, '.docker', 'config.json'), JSON.stringify({ currentContext: 'remote' }));
    assert.deepEqual(dockerContextHost({}, h), {
      host: 'tcp://10.1.2.3:2376',
      certDir: path.join(h, '.docker', 'contexts', 'tls', id, 'docker'),
    });
    assert.equal(dockerContextHost({ DOCKER_CONTEXT: 'default' }, h), undefined);
    assert.equal(dockerContextHost({ DOCKER_CONTEXT: 'missing' }, h), undefined);
    const c = candidateSockets({ runtime: 'auto', socket: undefined }, {}, 'linux', h);
    assert.equal(c[0].socket, 'tcp://10.1.2.3:2376', 'the context comes before the platform sockets');
    assert.deepEqual(c[0].endpoint, {
      type: 'tcp',
      host: '10.1.2.3',
      port: 2376,
      tls: {
        ca: path.join(h, '.docker/contexts/tls', id, 'docker/ca.pem'),
        cert: path.join(h, '.docker/contexts/tls', id, 'docker/cert.pem'),
        key: path.join(h, '.docker/contexts/tls', id, 'docker/key.pem'),
      },
    });
  });

  it("each platform's usual sockets, after DOCKER_HOST and CONTAINER_HOST; unparseable addresses are skipped", () => {
    const win = candidateSockets({ runtime: 'auto', socket: undefined }, { DOCKER_HOST: 'bogus' }, 'win32', 'C:\\\\Users\\\\u');
    assert.deepEqual(
      win.map((c) => c.socket),
      ['\\\\.\\pipe\\docker_engine', '\\\\.\\pipe\\podman-machine-default'],
    );
    const mac = candidateSockets({ runtime: 'auto', socket: undefined }, {}, 'darwin', '/Users/u').map((c) => c.socket);
    assert.deepEqual(mac.slice(0, 2), ['/Users/u/.docker/run/docker.sock', '/var/run/docker.sock']);
    const linux = candidateSockets(
      { runtime: 'auto', socket: undefined },
      { CONTAINER_HOST: 'unix:///p.sock', XDG_RUNTIME_DIR: '/run/user/7' },
      'linux',
      '/home/u',
    ).map((c) => c.socket);
    assert.deepEqual(linux.slice(0, 4), ['/p.sock', '/var/run/docker.sock', '/run/podman/podman.sock', '/run/user/7/podman/podman.sock']);
    const onlyPodman = candidateSockets({ runtime: 'podman', socket: undefined }, {}, 'win32', 'C:\\\\u');
    assert.deepEqual(
      onlyPodman.map((c) => c.socket),
      ['\\\\.\\pipe\\podman-machine-default'],
    );
  });
});
