// Importing a root filesystem tar as an image on Docker or Podman, leaving no copy of the tar behind on the engine's host.
import type Docker from 'dockerode';
import { AirlockError } from '../../../protocol/src/errors';
import { patientClient } from './patient';

export interface ImportOptions {
  repo: string;
  tag: string;
  /** Dockerfile instructions applied to the image (ENV, CMD, LABEL, USER, WORKDIR...). */
  changes: string[];
  signal?: AbortSignal;
}

const failed = (ref: string, why: string) =>
  new AirlockError(
    'IMAGE_BUILD_FAILED',
    `importing ${ref} failed: ${why}`,
    'check that the engine is running and has disk space (`airlock doctor`)',
  );

/** The Podman API version to address its own endpoints with, or undefined for Docker (and anything else). */
async function podmanApi(docker: Docker): Promise<string | undefined> {
  const v = await docker.version().catch(() => undefined);
  const podman = v?.Components?.find((c) => /podman/i.test(c.Name));
  if (!podman) return undefined;
  const api = (podman.Details as { APIVersion?: string } | undefined)?.APIVersion ?? podman.Version;
  return /^\d+\.\d+(\.\d+)?$/.test(api) ? api : '4.0.0';
}

/**
 * Imports `body` (a tar of a root filesystem) as an image and returns its id (sha256:...), untagged: callers tag it.
 * On Podman the Docker-compatible `images/create?fromSrc=-` keeps a copy of every upload in /var/tmp (`api_load.tar*`,
 * containers/podman#28531: ~230 MB per sandbox image, never removed), so there it goes through libpod's own import,
 * which removes its temporary file.
 */
export async function importImageTar(docker: Docker, body: NodeJS.ReadableStream, o: ImportOptions): Promise<string> {
  const ref = `${o.repo}:${o.tag}`;
  o.signal?.throwIfAborted();
  const api = await podmanApi(docker);
  // Podman says nothing until the image is stored: no idle timeout (patient.ts).
  const patient = patientClient(docker);
  if (api) {
    const res = await new Promise<{ Id?: string }>((resolve, reject) => {
      patient.modem.dial(
        {
          path: `/v${api}/libpod/images/import?`,
          method: 'POST',
          options: { reference: ref, changes: o.changes },
          file: body as unknown as string,
          headers: { 'Content-Type': 'application/x-tar' },
          abortSignal: o.signal,
          statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
        } as Parameters<typeof patient.modem.dial>[0],
        (err: unknown, data: unknown) => (err ? reject(failed(ref, (err as Error).message)) : resolve((data ?? {}) as { Id?: string })),
      );
    });
    if (!res.Id?.startsWith('sha256:')) throw failed(ref, `the engine returned no image id: ${JSON.stringify(res).slice(0, 300)}`);
    return res.Id;
  }
  const stream = (await patient.importImage(
    body as unknown as string,
    { repo: o.repo, tag: o.tag, changes: o.changes } as object,
  )) as NodeJS.ReadableStream;
  const out = await new Promise<Array<{ error?: string; status?: string }>>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, res: Array<{ error?: string; status?: string }>) => {
      const why = err?.message ?? res.find((e) => e.error)?.error;
      if (why) reject(failed(ref, why));
      else resolve(res);
    });
  });
  const id = out
    .map((e) => e.status)
    .reverse()
    .find((s) => s?.startsWith('sha256:'));
  if (!id) throw failed(ref, `the engine returned no image id: ${JSON.stringify(out).slice(0, 300)}`);
  return id;
}
