// A private Podman API service (`podman system service`, as scripts/engines.sh starts the shared one) on a socket of
// its own, so a test can restart it without touching the service other tests use. Podman keeps no daemon state: the
// private service serves the same containers and images, and its containers run on under conmon while it is away.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import { stopChild, until as startedWithin } from '../images/registry-fixture';

export interface PodmanService {
  /** `unix://` address for BootstrapConfig.socket. */
  socket: string;
  docker: Docker;
  /** Stops the service (SIGTERM, as `systemctl restart podman` does), keeps it away `downMs`, starts it again. */
  restart(downMs: number): Promise<{ stopMs: number; startMs: number }>;
  stop(): Promise<void>;
}

export async function startPodmanService(): Promise<PodmanService> {
  const dir = fs.mkdtempSync('/tmp/al-pm-'); // short: the socket path must fit in sun_path
  const sock = path.join(dir, 'podman.sock');
  const log = path.join(dir, 'podman.log');
  const docker = new Docker({ socketPath: sock });
  const launch = async (): Promise<ChildProcess> => {
    const fd = fs.openSync(log, 'a');
    const c = spawn('podman', ['system', 'service', '--time=0', `unix://${sock}`], { stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    const up = () =>
      docker.ping().then(
        () => true,
        () => false,
      );
    await startedWithin('the private podman service', up, c, log, 30_000);
    return c;
  };
  let child = await launch();
  const orphan = () => child.kill('SIGKILL'); // a test run that exits early leaves no service behind
  process.once('exit', orphan);
  return {
    socket: `unix://${sock}`,
    docker,
    restart: async (downMs) => {
      const t0 = Date.now();
      await stopChild(child);
      const stopMs = Date.now() - t0;
      await new Promise((r) => setTimeout(r, downMs));
      const t1 = Date.now();
      child = await launch();
      return { stopMs, startMs: Date.now() - t1 };
    },
    stop: async () => {
      process.off('exit', orphan);
      await stopChild(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
