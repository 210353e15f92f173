// patientClient: the engine's slow, silent requests (Podman's image import) are not cut off by the idle timeout.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { patientClient } from '../../../core/src/engine/patient';

describe('patientClient (core/src/engine/patient.ts)', () => {
  let dir: string;
  let server: http.Server;
  let socketPath: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-patient-'));
    socketPath = path.join(dir, 'engine.sock');
    // An engine that reads the whole upload, then works silently before it answers (as Podman's import does).
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () =>
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'sha256:abc' }));
        }, 400),
      );
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
  });
  after(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const importOn = async (docker: Docker) => {
    const stream = (await docker.importImage(Buffer.alloc(1024) as never, { repo: 'x', tag: 'y' } as object)) as NodeJS.ReadableStream;
    let out = '';
    for await (const b of stream) out += String(b);
    return out;
  };

  it('an ordinary client hangs up on an engine silent past its timeout; the patient one waits for the answer', async () => {
    const hasty = new Docker({ socketPath, timeout: 100 });
    await assert.rejects(importOn(hasty), /socket hang up|ECONNRESET/);
    assert.match(await importOn(patientClient(hasty)), /sha256:abc/);
  });

  it('leaves the client it was made from as it was', async () => {
    const hasty = new Docker({ socketPath, timeout: 100 });
    patientClient(hasty);
    assert.equal((hasty.modem as unknown as { timeout?: number }).timeout, 100);
    await assert.rejects(importOn(hasty), /socket hang up|ECONNRESET/);
  });
});
