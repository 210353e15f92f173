// `airlock sandbox list|create|exec|pause|resume|destroy|prune`: the kernel's L2 sandboxes from the terminal.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { AirlockError } from '../../../protocol/src/errors';
import { MAX_POOL_SIZE, type SandboxExecResult, type SandboxInfo } from '../../../protocol/src/methods/sandbox';
import type { IKernelClient } from '../../../protocol/src/rpc-client';
import type { CliIO, Command } from '../command';
import { withKernel } from '../kernel';

const USAGE = `airlock sandbox list [--json]
       airlock sandbox create TEMPLATE [--deadline SECONDS] [--volume TARGET...] [--json]
       airlock sandbox exec ID [--timeout MS] [--via agent|docker-exec] -- COMMAND [ARGS...]
       airlock sandbox pause ID
       airlock sandbox resume ID
       airlock sandbox destroy ID
       airlock sandbox prune
       airlock sandbox pools [TEMPLATE=N ...] [--json]   # show or set warm pool sizes (until the kernel restarts)
  (all take --workspace DIR; default: the current directory)`;

const ACTIONS = ['list', 'create', 'exec', 'pause', 'resume', 'destroy', 'prune', 'pools'];

/** `TEMPLATE=N` arguments → sizes for sandbox/pools. */
export function parsePoolSizes(args: string[]): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const a of args) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})=(\d{1,2})$/.exec(a);
    if (!m || Number(m[2]) > MAX_POOL_SIZE) throw usage(`expected TEMPLATE=N with N from 0 to ${MAX_POOL_SIZE}, got ${JSON.stringify(a)}`);
    sizes[m[1]] = Number(m[2]);
  }
  return sizes;
}

export function formatSandbox(s: SandboxInfo, now = Date.now()): string {
  const age = `${Math.round((now - s.createdAt) / 1000)}s`;
  return `${s.id.padEnd(16)} ${s.template.padEnd(17)} ${s.state.padEnd(10)} ${age.padStart(6)}  ${s.engine} ${s.containerId?.slice(0, 12) ?? '-'}${s.reason ? `  (${s.reason})` : ''}`;
}

function usage(msg: string): AirlockError {
  return new AirlockError('CLI_USAGE', msg, USAGE);
}

/** Exit status mirrors the command's; OOM kills and timeouts are said on stderr. */
function printExec(r: SandboxExecResult, io: CliIO): number {
  if (r.stdout) io.out(r.stdout.replace(/\n$/, ''));
  if (r.stderr) io.err(r.stderr.replace(/\n$/, ''));
  if (r.oomKilled) io.err('airlock: the command was OOM-killed (sandbox memory limit)');
  if (r.timedOut) io.err('airlock: the command timed out and was killed');
  if (r.error) io.err(`airlock: the command did not run: ${r.error}`);
  if (r.truncated) io.err('airlock: output was truncated');
  return r.exitCode ?? (r.signal ? 137 : 126);
}

export async function sandboxAction(client: Pick<IKernelClient, 'request'>, sub: string, args: string[], io: CliIO): Promise<number> {
  const dash = args.indexOf('--');
  const own = dash >= 0 ? args.slice(0, dash) : args;
  const command = dash >= 0 ? args.slice(dash + 1) : [];
  const { positionals, values } = parseArgs({
    args: own,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      deadline: { type: 'string' },
      volume: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      via: { type: 'string' },
      workspace: { type: 'string' },
    },
  });
  const num = (v: string | undefined, what: string) => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) <= 0) throw usage(`${what} must be a positive whole number, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  switch (sub) {
    case 'list': {
      const r = await client.request('sandbox/list', {});
      if (values.json) {
        io.out(JSON.stringify(r, null, 2));
        return 0;
      }
      io.out(`engine ${r.engine}; templates: ${r.templates.join(', ')}`);
      if (!r.sandboxes.length) io.out('no sandboxes');
      for (const s of r.sandboxes) io.out(formatSandbox(s));
      return 0;
    }
    case 'create': {
      const template = positionals[0];
      if (!template) throw usage('airlock sandbox create needs a template name');
      const s = await client.request('sandbox/create', {
        template,
        deadlineSeconds: num(values.deadline, '--deadline'),
        volumes: values.volume,
      });
      io.out(values.json ? JSON.stringify(s, null, 2) : formatSandbox(s));
      return 0;
    }
    case 'exec': {
      const id = positionals[0];
      if (!id || !command.length) throw usage('airlock sandbox exec needs an id and a command after --');
      if (values.via !== undefined && values.via !== 'agent' && values.via !== 'docker-exec') throw usage('--via is agent or docker-exec');
      const r = await client.request('sandbox/exec', {
        id,
        argv: command,
        timeoutMs: num(values.timeout, '--timeout'),
        via: values.via as 'agent' | 'docker-exec' | undefined,
      });
      if (values.json) {
        io.out(JSON.stringify(r, null, 2));
        return 0;
      }
      return printExec(r, io);
    }
    case 'pause':
    case 'resume': {
      const id = positionals[0];
      if (!id) throw usage(`airlock sandbox ${sub} needs an id`);
      io.out(formatSandbox(await client.request(sub === 'pause' ? 'sandbox/pause' : 'sandbox/resume', { id })));
      return 0;
    }
    case 'destroy': {
      const id = positionals[0];
      if (!id) throw usage('airlock sandbox destroy needs an id');
      io.out(formatSandbox(await client.request('sandbox/destroy', { id })));
      return 0;
    }
    case 'prune': {
      const r = await client.request('sandbox/prune', {});
      io.out(
        `destroyed ${r.destroyed.length} sandbox(es); swept ${r.containers.length} orphan container(s) and ${r.volumes.length} volume(s)`,
      );
      return 0;
    }
    case 'pools': {
      const r = await client.request('sandbox/pools', { sizes: parsePoolSizes(positionals) });
      if (values.json) {
        io.out(JSON.stringify(r, null, 2));
        return 0;
      }
      if (!r.enabled) io.out('warm pools are off (AIRLOCK_SANDBOX_POOLS=0)');
      for (const [t, n] of Object.entries(r.sizes)) io.out(`${t.padEnd(17)} ${n}`);
      return 0;
    }
    default:
      throw usage(`unknown sandbox action ${JSON.stringify(sub)}`);
  }
}

export const sandbox: Command = {
  name: 'sandbox',
  summary: 'list, create, exec in, pause, resume, destroy and prune sandboxes; size warm pools',
  usage: USAGE,
  async run(args, io) {
    const [sub = '', ...rest] = args;
    if (!ACTIONS.includes(sub)) throw usage(`unknown sandbox action ${JSON.stringify(sub)}`);
    const ws = parseArgs({ args: rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest, allowPositionals: true, strict: false })
      .values.workspace;
    const workspace = path.resolve(io.cwd, typeof ws === 'string' ? ws : '.');
    return withKernel(io, workspace, async (sup) => sandboxAction(await sup.ready(), sub, rest, io));
  },
};
