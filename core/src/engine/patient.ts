// A client for the engine's slow requests: the same endpoint and transport, without the idle timeout of ordinary ones.
import Docker from 'dockerode';

/**
 * Engine clients time out after 5 s without a byte (core/src/engine/detect.ts: a hung engine is reported, not waited
 * on). Some requests are silent for longer while the engine works: Podman answers an image import only once the whole
 * image is stored (Docker streams progress), which takes over 5 s for a 230 MB kernel rootfs on a loaded machine, and
 * the client hung up on a finished import. Such a request goes through this client.
 */
export function patientClient(docker: Docker): Docker {
  const modem = Object.assign(Object.create(Object.getPrototypeOf(docker.modem) as object) as object, docker.modem, { timeout: undefined });
  return new Docker({ modem } as Docker.DockerOptions);
}
