// The workspace snapshot on a remote engine: the host's workspace as a tar stream into the snapshot volume (through a
// helper container), swapped in whole, so the kernel and its sandboxes see exactly the host's files at task start.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { AirlockError } from '../../../protocol/src/errors';
import { nodeScript, withHelper } from './helper';
import { AT, type RemoteKernel } from './volumes';

const INCOMING = '.airlock-incoming';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- tar-fs ships no types; the slice used is typed here
const tarFs = require('tar-fs') as {
  pack(dir: string, o: { map?: (h: TarHeader) => TarHeader; ignore?: (name: string) => boolean }): Readable;
};
interface TarHeader {
  name: string;
  uid: number;
  gid: number;
  type: string;
}

/** Empties what an interrupted sync left, before the archive arrives. */
const CLEAN = `require('fs').rmSync(require('path').join(process.argv[1], ${JSON.stringify(INCOMING)}), { recursive: true, force: true });`;
/** Replaces the volume's entries by the incoming ones (the root stays: running sandboxes bind it). */
const SWAP = `const fs = require('fs'), p = require('path'); const [w, mode] = process.argv.slice(1); const i = p.join(w, ${JSON.stringify(INCOMING)});
for (const n of fs.readdirSync(w)) if (n !== ${JSON.stringify(INCOMING)}) fs.rmSync(p.join(w, n), { recursive: true, force: true });
for (const n of fs.readdirSync(i)) fs.renameSync(p.join(i, n), p.join(w, n));
fs.rmdirSync(i); fs.chmodSync(w, +mode);
let files = 0; const count = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { files++; if (e.isDirectory()) count(p.join(d, e.name)); } }; count(w);
process.stdout.write(String(files));`;

export interface SyncResult {
  entries: number;
  ms: number;
}

/** Sends the workspace to the snapshot volume. Files keep their modes; owner is the kernel's user (the tar headers
 * say so; the engine extracts as root). Sockets and FIFOs are not files a snapshot can hold: skipped. */
export async function syncWorkspace(
  docker: Docker,
  image: string,
  remote: RemoteKernel,
  workspace: string,
  user: { uid: number; gid: number },
): Promise<SyncResult> {
  const t0 = Date.now();
  const special = (name: string) => {
    try {
      const st = fs.lstatSync(name);
      return !(st.isFile() || st.isDirectory() || st.isSymbolicLink());
    } catch {
      return true;
    }
  };
  const labels = { 'airlock.owner': 'airlock', 'airlock.workspace': workspace };
  const entries = await withHelper(docker, image, [`${remote.volumes.workspace}:${AT.workspace}`], labels, async (c) => {
    await nodeScript(c, CLEAN, [AT.workspace]);
    const tar = tarFs.pack(workspace, {
      ignore: special,
      map: (h) => ({ ...h, name: h.name === '.' ? INCOMING : path.posix.join(INCOMING, h.name), uid: user.uid, gid: user.gid }),
    });
    // The engine answers once it has read (and extracted) the whole stream.
    await c.putArchive(tar, { path: AT.workspace });
    return Number(await nodeScript(c, SWAP, [AT.workspace, String(fs.statSync(workspace).mode & 0o7777)]));
  }).catch((e: Error) => {
    throw new AirlockError(
      'ENGINE_REMOTE_SYNC',
      `cannot send the workspace ${workspace} to the engine: ${e.message}`,
      'the task was not started; check the engine (`airlock doctor`) and its free disk space',
    );
  });
  return { entries, ms: Date.now() - t0 };
}
