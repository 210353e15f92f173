// A second, private dockerd that registers gVisor as docs/sandboxes.md says, with Airlock's sandbox images built there.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { RUNSC_DAEMON_JSON } from '../../../core/src/config/sandbox-runtime';
import { ensureSandboxImages } from '../../../templates/builder/sandbox-images';
import { startCleanDockerd } from '../images/registry-fixture';

export interface RunscEngine {
  socket: string;
  docker: Docker;
  stop(): Promise<void>;
}

/** Own data/exec roots, socket and bridge (registry-fixture.ts), `runtimes: { runsc }` from its own daemon.json; the
 * machine's main dockerd is neither reconfigured nor restarted. */
export async function startRunscEngine(onProgress?: (line: string) => void, daemonJson = RUNSC_DAEMON_JSON): Promise<RunscEngine> {
  const conf = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-runsc-'));
  fs.writeFileSync(path.join(conf, 'daemon.json'), daemonJson);
  const engine = await startCleanDockerd(['--config-file', path.join(conf, 'daemon.json')]);
  const stop = async () => {
    await engine.stop();
    fs.rmSync(conf, { recursive: true, force: true });
  };
  try {
    await buildImagesOn(engine.socket, onProgress);
  } catch (e) {
    await stop();
    throw e;
  }
  return { socket: engine.socket, docker: engine.docker, stop };
}

/** The node recipe talks to the socket; the Debian one runs the `docker` CLI, which follows DOCKER_HOST. */
export async function buildImagesOn(socket: string, onProgress?: (line: string) => void): Promise<void> {
  const before = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = `unix://${socket}`;
  try {
    await ensureSandboxImages({ engine: 'docker', socketPath: socket, onProgress });
  } finally {
    if (before === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = before;
  }
}
