// fs/read: reads one workspace file (native fast path, read-only), refusing paths outside the workspace.
import * as fs from 'node:fs/promises';
import { AirlockError, ErrorCodes } from '../../../../protocol/src/errors';
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { resolveInWorkspace } from '../../workspace/paths';

const DEFAULT_MAX_BYTES = 1024 * 1024;

export const read = (s: KernelServices): Handler<'fs/read'> => async (params, ctx) => {
  const { abs, rel } = resolveInWorkspace(s.config.workspace, params.path);
  const stat = await fs.stat(abs);
  if (!stat.isFile()) throw new AirlockError(ErrorCodes.NotFound, `${rel} is not a regular file`);
  const max = params.maxBytes ?? DEFAULT_MAX_BYTES;
  const handle = await fs.open(abs, 'r');
  try {
    const buf = Buffer.alloc(Math.min(max, stat.size));
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    ctx.signal.throwIfAborted();
    const bytes = buf.subarray(0, bytesRead);
    const binary = bytes.includes(0);
    return { path: rel, content: bytes.toString(binary ? 'base64' : 'utf8'), encoding: binary ? 'base64' : 'utf8', size: stat.size, truncated: stat.size > bytesRead };
  } finally {
    await handle.close();
  }
};
