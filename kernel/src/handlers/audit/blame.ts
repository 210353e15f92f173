// audit/blame: a workspace line's provenance, followed back through the merge records. The file is read as fs/read
// reads it for a person (policy-checked and audited first), so blame shows nothing the policy hides.
import { AirlockError } from '../../../../protocol/src/errors';
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { AuditWriter, KernelServices } from '../../services';
import { blame as blameLines } from '../../patches/blame';
import { read } from '../fs/read';

const MAX_BYTES = 8 * 1024 * 1024;
const MAX_LINES = 5000;

export const blame =
  (s: Pick<KernelServices, 'policy' | 'config' | 'patches'> & AuditWriter): Handler<'audit/blame'> =>
  async (params, ctx) => {
    const file = await read(s)({ path: params.path, maxBytes: MAX_BYTES }, ctx);
    if (file.encoding !== 'utf8' || file.truncated) {
      throw new AirlockError(
        'AUDIT_BLAME_UNSUPPORTED',
        `${file.path} is ${file.truncated ? 'larger than 8 MiB' : 'binary'}; blame follows lines of text files`,
      );
    }
    const count = file.content.split('\n').length - (file.content.endsWith('\n') ? 1 : 0);
    if (params.line !== undefined && params.line > count)
      throw new AirlockError('AUDIT_BLAME_NO_LINE', `${file.path} has ${count} line(s), not ${params.line}`);
    if (params.line === undefined && count > MAX_LINES)
      throw new AirlockError('AUDIT_BLAME_TOO_LONG', `${file.path} has ${count} lines`, `name one: ${file.path}:LINE`);
    const lines = params.line !== undefined ? [params.line] : Array.from({ length: count }, (_, i) => i + 1);
    return {
      lines: await blameLines(
        { query: (q) => s.audit.writer.query(q), blob: (h) => s.patches.store.getBlob(h) },
        file.path,
        file.content,
        lines,
      ),
    };
  };
