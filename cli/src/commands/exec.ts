// `airlock exec ACTION ARGS`: runs one kernel action directly (today: fs.read).
import { parseArgs } from 'node:util';
import { AirlockError } from '../../../protocol/src/errors';
import type { Command } from '../command';
import { withKernel } from '../kernel';

export const exec: Command = {
  name: 'exec',
  summary: 'run one kernel action, e.g. `airlock exec fs.read src/index.ts`',
  usage: 'airlock exec fs.read <path> [--workspace DIR] [--max-bytes N] [--json]',
  async run(args, io) {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: { workspace: { type: 'string' }, 'max-bytes': { type: 'string' }, json: { type: 'boolean' } },
    });
    const [action, target] = positionals;
    if (action !== 'fs.read' || !target) {
      throw new AirlockError(
        'CLI_USAGE',
        `unsupported action ${JSON.stringify(action ?? '')}${target ? '' : ' or missing path'}`,
        `usage: ${exec.usage}`,
      );
    }
    const maxBytes = values['max-bytes'] ? Number(values['max-bytes']) : undefined;
    const res = await withKernel(io, values.workspace, async (sup) => (await sup.ready()).request('fs/read', { path: target, maxBytes }));
    if (values.json) {
      io.out(JSON.stringify(res));
      return 0;
    }
    if (res.encoding === 'base64') io.err(`airlock: ${res.path} is binary; printing base64`);
    process.stdout.write(res.content);
    if (res.truncated) io.err(`airlock: output truncated at ${res.content.length} of ${res.size} bytes (--max-bytes)`);
    return 0;
  },
};
