// Provider worker sandboxes as plain records for unit tests (spare and kept workers): the real worker bundle as a child process.
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import type { StreamEvent } from '../../../protocol/src/agent';
import { AirlockError } from '../../../protocol/src/errors';
import type { SandboxTemplate } from '../../../core/src/templates';
import type { WorkerProcess } from '../../../kernel/src/agent/provider-worker/client';
import type { KeptSandboxes } from '../../../kernel/src/agent/provider-worker/kept';
import { WORKER_LOADER } from '../../../kernel/src/agent/provider-worker/source';
import type { SpareSandboxes, WorkerExec } from '../../../kernel/src/agent/provider-worker/spare';
import type { SandboxInfo } from '../../../kernel/src/runtime/sandbox';

/** Sandboxes as plain records: which task each serves, and a log of what happened to them, in order. */
export class FakeSandboxes implements SpareSandboxes, KeptSandboxes {
  readonly log: string[] = [];
  readonly tasks = new Map<string, string | undefined>();
  readonly procs = new Map<string, { kill(): void }>();
  refuseBind = false;
  /** Every sandbox's deadline (as the real manager's: when it was made plus the template's deadlineSeconds). */
  deadline = Date.now() + 3_600_000;
  /** Set: create (or exec) waits for this before it answers, as a stuck engine call would. */
  hangCreate: Promise<void> | undefined;
  hangExec: Promise<void> | undefined;
  private n = 0;
  readonly runtime = { socketPath: '/nonexistent' };
  constructor(private readonly url: string) {}
  stdioFolder(): undefined {
    return undefined;
  }
  async create(o: { template: string; task?: string }): Promise<SandboxInfo> {
    const id = `sb${++this.n}`;
    if (this.hangCreate) await this.hangCreate;
    this.tasks.set(id, o.task);
    this.log.push(`create ${id} ${o.task ?? '-'}`);
    return { id, template: o.template, state: 'ready', containerId: `c-${id}` } as unknown as SandboxInfo;
  }
  async destroy(id: string): Promise<void> {
    if (this.log.includes(`destroy ${id}`)) return;
    this.log.push(`destroy ${id}`);
    this.procs.get(id)?.kill();
  }
  template(name: string): SandboxTemplate {
    return { name } as SandboxTemplate;
  }
  bindTask(id: string, task: string): { deadline: number } {
    const now = this.tasks.get(id);
    if (this.refuseBind || (now !== undefined && now !== task))
      throw new AirlockError('SANDBOX_TASK_TAKEN', `sandbox ${id} works for another task`);
    this.tasks.set(id, task);
    this.log.push(`bind ${id} ${task}`);
    return { deadline: this.deadline };
  }
  unbindTask(id: string, task: string): { deadline: number } {
    if (this.tasks.get(id) !== task) throw new AirlockError('SANDBOX_TASK_TAKEN', `sandbox ${id} does not work for ${task}`);
    this.tasks.set(id, undefined);
    this.log.push(`unbind ${id} ${task}`);
    return { deadline: this.deadline };
  }
  /** The worker as the sandbox runs it: `node -e LOADER`, its code down stdin. */
  readonly exec: WorkerExec = async (sb) => {
    if (this.hangExec) await this.hangExec;
    const c = spawn(process.execPath, ['-e', WORKER_LOADER], {
      env: { PATH: process.env.PATH, AIRLOCK_PROVIDER_URL: this.url },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.procs.set(sb.id, { kill: () => c.kill('SIGKILL') });
    this.log.push(`exec ${sb.id}`);
    return { stdio: Duplex.from({ readable: c.stdout, writable: c.stdin }), stderrTail: () => '' } satisfies WorkerProcess;
  };
}

export async function text(it: AsyncIterable<StreamEvent>): Promise<string> {
  let out = '';
  for await (const e of it) if (e.type === 'text-delta') out += e.text;
  return out;
}

export const req = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], tools: [] };

export async function waitUntil(ok: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
