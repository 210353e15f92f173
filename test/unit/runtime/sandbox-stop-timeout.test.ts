// Sandboxes are created with a 1 s stop timeout: an engine that stops (restarts) does not wait the 10 s default for
// one that ignores SIGTERM (test/integration/reliability/engine-restart.test.ts found one on every few restarts).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { DockerRuntime } from '../../../kernel/src/runtime/docker';
import { SANDBOX_STOP_TIMEOUT_S } from '../../../kernel/src/runtime/dockerode-runtime';

describe('sandbox create options: stop timeout', () => {
  it('asks the engine for a 1 s stop timeout on every sandbox container', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-stop-'));
    const socketPath = path.join(dir, 'engine.sock');
    const bodies: Array<Record<string, unknown>> = [];
    // A fake engine that records the create request and answers with an id.
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (b) => (body += b));
      req.on('end', () => {
        if (req.url?.includes('/containers/create')) bodies.push(JSON.parse(body) as Record<string, unknown>);
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ Id: 'c1', Warnings: [] }));
      });
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
    try {
      const rt = new DockerRuntime(socketPath);
      const id = await rt.createContainer({
        image: 'img',
        cmd: ['true'],
        user: '1000:1000',
        labels: {},
        readOnlyRoot: true,
        capDrop: ['ALL'],
        noNewPrivileges: true,
        pidsLimit: 64,
        memoryBytes: 1 << 28,
        nanoCpus: 1e9,
        tmpfs: {},
        networkMode: 'none',
        mounts: [],
        init: false,
        openStdin: true,
      });
      assert.equal(id, 'c1');
      assert.equal(bodies.length, 1);
      assert.equal(SANDBOX_STOP_TIMEOUT_S, 1);
      assert.equal(bodies[0].StopTimeout, 1);
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
