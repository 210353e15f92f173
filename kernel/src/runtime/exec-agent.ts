// The exec agent: a tiny Node program that is a long-lived sandbox's main process and runs commands sent on its
// stdin, so a command costs one round trip on an attached stream instead of a `docker exec` (~85 ms here).
import type { Duplex } from 'node:stream';
import { z } from 'zod';
import { AirlockError } from '../../../protocol/src/errors';
import { SandboxExecResult } from '../../../protocol/src/methods/sandbox';

/** Runs inside the sandbox as `node -e AGENT_SOURCE`. One JSON request per line in, one JSON response per line out.
 * Lines that are not requests are ignored: Podman's attach forwards its own request body into stdin first. */
export const AGENT_SOURCE = String.raw`
const { spawn } = require('child_process'); const fs = require('fs');
const out = (m) => process.stdout.write(JSON.stringify(m) + '\n');
const oomKills = () => { for (const f of ['/sys/fs/cgroup/memory/memory.oom_control', '/sys/fs/cgroup/memory.events']) {
  try { const m = /oom_kill (\d+)/.exec(fs.readFileSync(f, 'utf8')); if (m) return Number(m[1]); } catch {} } return -1; };
let running = 0, ended = false; const kills = new Map();
function run(r) {
  running++;
  const max = r.maxOutput || 1048576; const started = process.hrtime.bigint(); const oom0 = oomKills();
  const bufs = { stdout: [], stderr: [] }; const size = { stdout: 0, stderr: 0 }; let truncated = false, timedOut = false, p;
  const done = (code, signal, error) => { running--; kills.delete(r.id); out({ id: r.id, exitCode: code, signal, error,
    stdout: Buffer.concat(bufs.stdout).toString('base64'), stderr: Buffer.concat(bufs.stderr).toString('base64'), truncated, timedOut,
    oomKilled: oom0 >= 0 && oomKills() > oom0, durationMs: Number(process.hrtime.bigint() - started) / 1e6 }); if (ended && !running) process.stdout.end(() => process.exit(0)); };
  try { p = spawn(r.argv[0], r.argv.slice(1), { cwd: r.cwd, env: { ...process.env, ...r.env }, detached: true, stdio: ['pipe', 'pipe', 'pipe'] }); }
  catch (e) { return done(null, null, e.code || e.message); }
  for (const k of ['stdout', 'stderr']) p[k].on('data', (b) => { if (size[k] + b.length > max) { truncated = true; b = b.subarray(0, Math.max(0, max - size[k])); } size[k] += b.length; bufs[k].push(b); });
  p.stdin.on('error', () => {}); p.stdin.end(r.stdin ? Buffer.from(r.stdin, 'base64') : undefined);
  // Kill the whole process group, again until it is empty: a fork bomb's children may fork while we kill.
  const killGroup = (n = 0) => { try { process.kill(-p.pid, 'SIGKILL'); if (n < 200) setTimeout(killGroup, 5, n + 1); } catch {} };
  kills.set(r.id, () => killGroup());
  const timer = r.timeoutMs ? setTimeout(() => { timedOut = true; killGroup(); }, r.timeoutMs) : undefined;
  let exit; p.on('exit', (code, signal) => { exit = [code, signal]; clearTimeout(timer); killGroup(); });
  p.on('error', (e) => { clearTimeout(timer); if (!exit) { exit = [null, null]; done(null, null, e.code || e.message); } });
  p.on('close', () => { if (exit && p.pid) done(exit[0], exit[1]); });
}
let buf = '';
process.stdin.on('data', (d) => { buf += d; let i; while ((i = buf.indexOf('\n')) >= 0) { const line = buf.slice(0, i); buf = buf.slice(i + 1);
  let r; try { r = JSON.parse(line); } catch { continue; } if (r && typeof r.id === 'number' && Array.isArray(r.argv) && r.argv.length) run(r);
  else if (r && typeof r.kill === 'number' && kills.has(r.kill)) kills.get(r.kill)(); } });
process.stdin.on('end', () => { ended = true; if (!running) process.exit(0); });
out({ ready: true, pid: process.pid, oom: oomKills() });
`;

export const AgentRequest = z.object({
  argv: z.array(z.string()).min(1),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  stdin: z.string().optional(),
  timeoutMs: z.number().int().positive().optional(),
  maxOutput: z.number().int().positive().optional(),
});
export type AgentRequest = z.infer<typeof AgentRequest>;

/** The agent's reply: the protocol's exec result (stdout/stderr in base64 on the wire) plus the request id. */
const AgentResponse = SandboxExecResult.omit({ via: true }).extend({ id: z.number() });

/** exitCode/signal, spawn errors (EAGAIN under the pids limit), timeout, OOM kill, and the command's own duration. */
export type ExecResult = SandboxExecResult;

/** Host side of the agent: one attached stream, requests matched to responses by id. */
export class AgentClient {
  private nextId = 1;
  private buf = '';
  private readonly pending = new Map<number, { resolve: (r: ExecResult) => void; reject: (e: Error) => void }>();
  private readyWaiter?: { resolve: () => void; reject: (e: Error) => void };
  private closed?: Error;
  readonly ready: Promise<void>;

  constructor(private readonly stream: Duplex) {
    this.ready = new Promise((resolve, reject) => { this.readyWaiter = { resolve, reject }; });
    this.ready.catch(() => { /* observed by callers that await it */ });
    stream.on('data', (b: Buffer) => this.onData(b));
    const close = (why: string) => this.fail(new AirlockError('SANDBOX_AGENT_GONE', `the sandbox's exec agent ${why}`, 'the sandbox was stopped, killed (OOM?) or its agent crashed; create a new one'));
    stream.on('end', () => close('closed its stream'));
    stream.on('close', () => close('closed its stream'));
    stream.on('error', (e) => close(`stream failed: ${e.message}`));
    // A newline first: it terminates whatever an engine may have written into stdin before us (Podman does).
    stream.write('\n');
  }

  private onData(b: Buffer): void {
    this.buf += b.toString('utf8');
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      let msg: unknown;
      try { msg = JSON.parse(line); } catch { continue; }
      if ((msg as { ready?: boolean }).ready) { this.readyWaiter?.resolve(); continue; }
      const r = AgentResponse.safeParse(msg);
      if (!r.success) continue;
      const p = this.pending.get(r.data.id);
      if (!p) continue;
      this.pending.delete(r.data.id);
      const { id: _id, ...rest } = r.data;
      p.resolve({ ...rest, stdout: Buffer.from(rest.stdout, 'base64').toString('utf8'), stderr: Buffer.from(rest.stderr, 'base64').toString('utf8'), via: 'agent' });
    }
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.closed = err;
    this.readyWaiter?.reject(err);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  exec(req: AgentRequest, signal?: AbortSignal): Promise<ExecResult> {
    if (this.closed) return Promise.reject(this.closed);
    signal?.throwIfAborted();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // A cancelled command is killed with its whole process group inside the sandbox, not just forgotten here.
      const onAbort = () => { this.pending.delete(id); if (!this.closed) this.stream.write(JSON.stringify({ kill: id }) + '\n'); reject(signal!.reason); };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (r) => { signal?.removeEventListener('abort', onAbort); resolve(r); },
        reject: (e) => { signal?.removeEventListener('abort', onAbort); reject(e); },
      });
      this.stream.write(JSON.stringify({ id, ...req }) + '\n');
    });
  }

  close(): void {
    this.fail(new AirlockError('SANDBOX_AGENT_GONE', 'the exec agent was closed'));
    this.stream.destroy();
  }
}
