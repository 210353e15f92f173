// `airlock sessions list|show|export|delete`: the kernel's stored task sessions (transcript, cost, patch set).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { parseArgs } from 'node:util';
import { AirlockError } from '../../../protocol/src/errors';
import type { SessionSummary } from '../../../protocol/src/methods/sessions';
import type { IKernelClient } from '../../../protocol/src/rpc-client';
import type { CliIO, Command } from '../command';
import { withKernel } from '../kernel';
import { parseRunOptions } from '../run/options';
import { askOn, exitCodeOf, runTaskInTerminal, type SessionIO } from '../run/session';
import { historyOf, markdownTranscript, replayTurns } from '../sessions/export';

const USAGE = `airlock sessions list [--limit N] [--json]       stored task sessions, newest first
       airlock sessions show TASK [--json]             the transcript: text, tool calls and results, decisions
       airlock sessions export TASK [--out DIR]        TASK.session.json, TASK.md and TASK.replay.jsonl
                                                       (\`airlock run --replay DIR/TASK.replay.jsonl\` replays it)
       airlock sessions resume TASK "<follow-up>" [run options]   a new task carrying TASK's conversation
       airlock sessions delete TASK                    remove the stored transcript (recorded in the audit log)
  (all take --workspace DIR; default: the current directory)`;

const line = (s: SessionSummary) =>
  `${s.taskId}  ${new Date(s.createdAt).toISOString().slice(0, 16).replace('T', ' ')}  ` +
  `${(s.status ?? 'running').padEnd(15)} ${s.provider}/${s.model}  $${s.costUsd.toFixed(4)}  ${s.prompt.split('\n')[0]!.slice(0, 60)}`;

/** `resume TASK "<follow-up>" [run options]`: the stored conversation goes with the new task as its history. */
export async function resumeSession(client: IKernelClient, args: string[], io: SessionIO): Promise<number> {
  const o = parseRunOptions(args, io.cwd, USAGE, io.env);
  for (const w of o.warnings) io.err(`warning: ${w}`);
  const [taskId, ...words] = o.positionals;
  const prompt = words.join(' ').trim();
  if (!taskId || !prompt) throw new AirlockError('CLI_USAGE', 'sessions resume needs a task id and a follow-up', USAGE);
  const { session, events } = await client.request('sessions/show', { taskId });
  const r = await runTaskInTerminal(
    client,
    { ...o, history: historyOf(session, events), continues: taskId, mode: args.includes('--mode') ? o.mode : (session.mode ?? o.mode) },
    prompt,
    io,
  );
  return exitCodeOf(r.status);
}

export async function sessionsAction(client: Pick<IKernelClient, 'request'>, args: string[], io: CliIO): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      limit: { type: 'string' },
      out: { type: 'string' },
      workspace: { type: 'string' },
    },
  });
  const [sub, taskId] = positionals;
  const need = () => {
    if (!taskId) throw new AirlockError('CLI_USAGE', `sessions ${sub} needs a task id`, USAGE);
    return taskId;
  };
  switch (sub) {
    case undefined:
    case 'list': {
      const limit = values.limit === undefined ? 50 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new AirlockError('CLI_USAGE', `--limit must be a positive whole number, got ${JSON.stringify(values.limit)}`, USAGE);
      const { sessions } = await client.request('sessions/list', { limit });
      if (values.json) {
        io.out(JSON.stringify(sessions, null, 2));
        return 0;
      }
      if (!sessions.length) io.out('no stored sessions');
      for (const s of sessions) io.out(line(s));
      return 0;
    }
    case 'show': {
      const r = await client.request('sessions/show', { taskId: need() });
      io.out(values.json ? JSON.stringify(r, null, 2) : markdownTranscript(r.session, r.events).trimEnd());
      return 0;
    }
    case 'export': {
      const r = await client.request('sessions/show', { taskId: need() });
      const dir = path.resolve(io.cwd, values.out ?? '.');
      fs.mkdirSync(dir, { recursive: true });
      const base = path.join(dir, r.session.taskId);
      const turns = replayTurns(r.events);
      fs.writeFileSync(`${base}.session.json`, JSON.stringify({ schema: 1, ...r, replay: turns }, null, 2) + '\n');
      fs.writeFileSync(`${base}.md`, markdownTranscript(r.session, r.events));
      fs.writeFileSync(`${base}.replay.jsonl`, turns.map((t) => JSON.stringify(t)).join('\n') + (turns.length ? '\n' : ''));
      for (const ext of ['session.json', 'md', 'replay.jsonl']) io.out(`${base}.${ext}`);
      return 0;
    }
    case 'delete': {
      const { deleted } = await client.request('sessions/delete', { taskId: need() });
      io.out(deleted ? `deleted ${taskId}` : `no stored session ${taskId}`);
      return deleted ? 0 : 1;
    }
    default:
      throw new AirlockError('CLI_USAGE', `unknown sessions command ${JSON.stringify(sub)}`, USAGE);
  }
}

export const sessions: Command = {
  name: 'sessions',
  summary: 'list, show, export (JSON, Markdown, replay) and delete stored task sessions',
  usage: USAGE,
  async run(args, io) {
    const { values } = parseArgs({ args, allowPositionals: true, strict: false, options: { workspace: { type: 'string' } } });
    const workspace = path.resolve(io.cwd, typeof values.workspace === 'string' ? values.workspace : '.');
    return withKernel(io, workspace, async (sup) => {
      const client = await sup.ready();
      if (args[0] !== 'resume') return sessionsAction(client, args, io);
      const tty = !!process.stdin.isTTY && !args.includes('--yes') && !args.includes('-y');
      const rl = tty ? readline.createInterface({ input: process.stdin, output: process.stderr }) : undefined;
      rl?.on('SIGINT', () => process.emit('SIGINT'));
      try {
        return await resumeSession(client, args.slice(1), {
          ...io,
          write: (t) => process.stdout.write(t),
          ask: rl ? askOn(rl) : undefined,
        });
      } finally {
        rl?.close();
      }
    });
  },
};
