// Docker adapter: the Engine API on dockerd's socket, used as is.
import { DockerodeRuntime } from './dockerode-runtime';

export const DOCKER_SOCKET = '/var/run/docker.sock';

export class DockerRuntime extends DockerodeRuntime {
  readonly engine = 'docker' as const;
  constructor(socketPath = DOCKER_SOCKET) {
    super(socketPath);
  }
}
