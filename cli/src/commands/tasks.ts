// `airlock tasks list|cancel|pause|resume`: see the scheduler's queue and act on one task.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { AirlockError } from '../../../protocol/src/errors';
import { ResourceName, TaskState, type TaskInfo } from '../../../protocol/src/methods/tasks';
import type { IKernelClient } from '../../../protocol/src/rpc-client';
import type { CliIO, Command } from '../command';
import { withKernel } from '../kernel';

const USAGE = `airlock tasks list [--state STATE...] [--json]
       airlock tasks cancel ID [--reason TEXT]
       airlock tasks pause ID
       airlock tasks resume ID
  (all take --workspace DIR; default: the current directory)`;

const res = (r: TaskInfo['resources']) =>
  ResourceName.options
    .filter((k) => r[k])
    .map((k) => `${k}=${r[k]}`)
    .join(',') || '-';

export function formatTask(t: TaskInfo): string {
  const extra = [t.pausedBy ? `paused by ${t.pausedBy}` : '', t.deps.length ? `after ${t.deps.join(',')}` : '', t.reason ?? '']
    .filter(Boolean)
    .join('  ');
  return `${t.id.padEnd(20)} ${t.state.padEnd(9)} p${String(t.priority).padEnd(4)} ${res(t.resources).padEnd(28)} ${t.title}${extra ? `  (${extra})` : ''}`;
}

export async function tasksAction(client: Pick<IKernelClient, 'request'>, sub: string, args: string[], io: CliIO): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      state: { type: 'string', multiple: true },
      reason: { type: 'string' },
      json: { type: 'boolean' },
      workspace: { type: 'string' },
    },
  });
  if (sub === 'list') {
    const states = values.state?.map((s) => {
      const p = TaskState.safeParse(s);
      if (!p.success) throw new AirlockError('CLI_USAGE', `unknown state ${JSON.stringify(s)}`, `one of ${TaskState.options.join(', ')}`);
      return p.data;
    });
    const r = await client.request('tasks/list', { states });
    if (values.json) {
      io.out(JSON.stringify(r, null, 2));
      return 0;
    }
    io.out(`limits ${res(r.limits)}  in use ${res(r.inUse)}`);
    if (!r.tasks.length) io.out('no tasks');
    for (const t of r.tasks) io.out(formatTask(t));
    return 0;
  }
  const id = positionals[0];
  if (!id) throw new AirlockError('CLI_USAGE', `airlock tasks ${sub} needs a task id`, 'see `airlock tasks list`');
  let task: TaskInfo;
  switch (sub) {
    case 'cancel':
      task = (await client.request('tasks/cancel', { id, reason: values.reason })).task;
      break;
    case 'pause':
      task = (await client.request('tasks/pause', { id })).task;
      break;
    case 'resume':
      task = (await client.request('tasks/resume', { id })).task;
      break;
    default:
      throw new AirlockError('CLI_USAGE', `unknown tasks action ${JSON.stringify(sub)}`, USAGE);
  }
  io.out(formatTask(task));
  return 0;
}

export const tasks: Command = {
  name: 'tasks',
  summary: 'list the task queue; cancel, pause or resume a task',
  usage: USAGE,
  async run(args, io) {
    const [sub = '', ...rest] = args;
    if (!['list', 'cancel', 'pause', 'resume'].includes(sub))
      throw new AirlockError('CLI_USAGE', `unknown tasks action ${JSON.stringify(sub)}`, USAGE);
    const ws = parseArgs({ args: rest, allowPositionals: true, strict: false }).values.workspace;
    const workspace = path.resolve(io.cwd, typeof ws === 'string' ? ws : '.');
    return withKernel(io, workspace, async (sup) => tasksAction(await sup.ready(), sub, rest, io));
  },
};
