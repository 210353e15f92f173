// `airlock audit blame FILE[:LINE] [--json]`: where a workspace line came from (the kernel follows the merge records).
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import type { Provenance } from '../../../protocol/src/provenance';
import { describeProvenance } from '../../../protocol/src/provenance-text';
import type { CliIO } from '../command';
import { withKernel } from '../kernel';

/** `FILE:LINE` or `FILE`, relative to the current directory, as a workspace path. */
export function parseTarget(target: string, cwd: string, workspace: string): { path: string; line?: number } {
  const m = /^(.*):(\d+)$/.exec(target);
  const file = m ? m[1] : target;
  const rel = path.relative(workspace, path.resolve(cwd, file)).split(path.sep).join('/');
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel))
    throw new AirlockError('CLI_USAGE', `${file} is not inside the workspace ${workspace}`);
  return { path: rel, ...(m ? { line: Number(m[2]) } : {}) };
}

/** One line per line of the file. */
function compact(p: Provenance): string {
  const who =
    p.origin === 'merged' && p.merge && p.hunk
      ? `${p.merge.setId} ${p.hunk.hunkId}${p.hunk.links?.toolCalls.length ? ` ${p.hunk.links.toolCalls.map((c) => `${c.callId}${c.turn !== undefined ? `@t${c.turn}` : ''}`).join(',')}` : ''}`
      : '(workspace)';
  return `${String(p.line).padStart(5)} ${who.padEnd(40)} ${p.text ?? ''}`;
}

export async function blame(io: CliIO, target: string | undefined, o: { workspace?: string; json?: boolean }): Promise<number> {
  if (!target) throw new AirlockError('CLI_USAGE', 'airlock audit blame needs FILE or FILE:LINE');
  const workspace = path.resolve(io.cwd, o.workspace ?? '.');
  const t = parseTarget(target, io.cwd, workspace);
  return withKernel(io, workspace, async (sup) => {
    const { lines } = await (await sup.ready()).request('audit/blame', t);
    if (o.json) io.out(JSON.stringify(t.line !== undefined ? lines[0] : lines, null, 2));
    else for (const l of t.line !== undefined ? lines.flatMap(describeProvenance) : lines.map(compact)) io.out(l);
    return 0;
  });
}
