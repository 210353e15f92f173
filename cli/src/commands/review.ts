// `airlock review list|show|accept|reject|merge|undo|export`: patch review from the terminal; merges are written here, on the host.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { AirlockError } from '../../../protocol/src/errors';
import type { Command } from '../command';
import { withKernel } from '../kernel';
import * as actions from '../review/actions';

const USAGE = `airlock review list [--status pending|merged|rejected]
       airlock review show SET [--diff]
       airlock review accept|reject SET [PATH...] [--hunk ID...]
       airlock review verify SET [--json]   (rerun the tests on exactly the accepted changes)
       airlock review merge SET
       airlock review undo
       airlock review export SET --format git [-o FILE]
  (all take --workspace DIR; default: the current directory)`;

export const review: Command = {
  name: 'review',
  summary: 'review patch sets: list, show, accept/reject files or hunks, verify, merge, undo, export as a git diff',
  usage: USAGE,
  async run(args, io) {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        workspace: { type: 'string' },
        status: { type: 'string' },
        diff: { type: 'boolean' },
        hunk: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        format: { type: 'string' },
        o: { type: 'string', short: 'o' },
      },
    });
    const [sub, id, ...rest] = positionals;
    const workspace = path.resolve(io.cwd, values.workspace ?? '.');
    const needId = () => {
      if (!id) throw new AirlockError('CLI_USAGE', `airlock review ${sub} needs a patch set id`, 'see `airlock review list`');
      return id;
    };
    if (sub === 'export' && values.format !== 'git') throw new AirlockError('CLI_USAGE', 'export needs --format git', USAGE);
    const status = values.status as 'pending' | 'merged' | 'rejected' | undefined;
    if (status && !['pending', 'merged', 'rejected'].includes(status))
      throw new AirlockError('CLI_USAGE', `unknown status ${JSON.stringify(status)}`, USAGE);
    if (!['list', 'show', 'accept', 'reject', 'verify', 'merge', 'undo', 'export'].includes(sub ?? ''))
      throw new AirlockError('CLI_USAGE', `unknown review action ${JSON.stringify(sub ?? '')}`, USAGE);
    return withKernel(io, workspace, async (sup) => {
      const c: actions.ReviewCtx = { client: await sup.ready(), workspace, io };
      switch (sub) {
        case 'list':
          return actions.list(c, status);
        case 'show':
          return actions.show(c, needId(), !!values.diff);
        case 'accept':
        case 'reject':
          return actions.decide(c, needId(), sub, rest, values.hunk ?? []);
        case 'verify':
          return actions.verify(c, needId(), !!values.json);
        case 'merge':
          return actions.merge(c, needId());
        case 'undo':
          return actions.undo(c);
        default: {
          const text = await actions.exportSet(c, needId());
          if (values.o) fs.writeFileSync(path.resolve(io.cwd, values.o), text);
          else process.stdout.write(text);
          return 0;
        }
      }
    });
  },
};
