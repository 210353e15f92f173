// `airlock mode [SESSION] [strict|explore|debug --reason TEXT]`: show workflow sessions or switch one's mode.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { AirlockError } from '../../../protocol/src/errors';
import type { IKernelClient } from '../../../protocol/src/rpc-client';
import { WorkflowMode, type SessionSnapshot } from '../../../protocol/src/workflow';
import type { CliIO, Command } from '../command';
import { withKernel } from '../kernel';

const USAGE = `airlock mode                              list workflow sessions
       airlock mode SESSION                      show one session, its budget and recent transitions
       airlock mode SESSION MODE --reason TEXT   switch mode (strict, explore, debug); recorded with the reason
  (all take --workspace DIR, default the current directory, and --json)`;

export function formatSession(s: SessionSnapshot): string[] {
  const b = s.budget;
  const budget = b.limitPct === null ? 'budget off' : `budget ${b.usedPct}/${b.limitPct} pts used`;
  const lines = [`${s.id}  ${s.mode}/${s.state}  ${budget}${s.exemption ? `  exempt: ${s.exemption.kind} (${s.exemption.reason})` : ''}`];
  if (b.held) lines.push(`  HELD for review: ${b.held.reason}`);
  if (s.watchedTests.length) lines.push(`  watching: ${s.watchedTests.join(', ')}`);
  lines.push(`  next: ${s.next.map((n) => (n.guards.length ? `${n.to} [${n.guards.join(' + ')}]` : n.to)).join(', ') || '-'}`);
  return lines;
}

export async function modeAction(client: Pick<IKernelClient, 'request'>, args: string[], io: CliIO): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { reason: { type: 'string' }, workspace: { type: 'string' }, json: { type: 'boolean' } },
  });
  const [sessionId, mode] = positionals;
  if (mode) {
    const m = WorkflowMode.safeParse(mode);
    if (!m.success)
      throw new AirlockError('CLI_USAGE', `unknown mode ${JSON.stringify(mode)}`, `one of ${WorkflowMode.options.join(', ')}`);
    if (!values.reason) throw new AirlockError('CLI_USAGE', 'a mode switch needs --reason', 'the reason is recorded with the switch');
    const { session } = await client.request('workflow/setMode', { sessionId, mode: m.data, reason: values.reason });
    if (values.json) {
      io.out(JSON.stringify({ session }));
      return 0;
    }
    for (const l of formatSession(session)) io.out(l);
    return 0;
  }
  const r = await client.request('workflow/get', { sessionId, history: sessionId ? 10 : 0 });
  if (values.json) {
    io.out(JSON.stringify(r, null, 2));
    return 0;
  }
  if (!r.sessions.length) io.out('no workflow sessions');
  for (const s of r.sessions) for (const l of formatSession(s)) io.out(l);
  for (const h of r.history) {
    const why =
      h.kind === 'refused'
        ? `  refused ${String(h.detail.attempted)}: ${String(h.detail.reason)}`
        : h.kind === 'mode'
          ? `  (${String(h.detail.reason)})`
          : '';
    io.out(`  #${h.seq} ${new Date(h.at).toISOString()} ${h.actor} ${h.kind} ${h.from ?? '-'} -> ${h.to}${why}`);
  }
  return 0;
}

export const mode: Command = {
  name: 'mode',
  summary: "show workflow sessions (mode, state, debt budget) or switch a session's mode",
  usage: USAGE,
  async run(args, io) {
    const ws = parseArgs({ args, allowPositionals: true, strict: false }).values.workspace;
    const workspace = path.resolve(io.cwd, typeof ws === 'string' ? ws : '.');
    return withKernel(io, workspace, async (sup) => modeAction(await sup.ready(), args, io));
  },
};
