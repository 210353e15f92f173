// Test wiring for the exec agent: the real agent as a child process, its stdout merged with an attacker's writes.
import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex, PassThrough } from 'node:stream';
import { AGENT_SOURCE, AgentClient, type AgentClientOptions } from '../../../kernel/src/runtime/exec-agent';

export interface AgentRig {
  client: AgentClient;
  /** What the kernel reads: the agent's stdout and whatever the attacker writes, interleaved. */
  wire: PassThrough;
  /** Lines the kernel wrote to the agent (the first is the key). */
  sent: string[];
  child?: ChildProcess;
  dispose(): void;
}

/** A duplex over `wire` whose writes go to `onWrite`: the kernel side of an attached stream. */
function kernelSide(wire: PassThrough, onWrite: (b: Buffer) => void): Duplex {
  const d = new Duplex({
    read() {
      /* pushed from wire */
    },
    write(chunk: Buffer, _enc, cb) {
      onWrite(chunk);
      cb();
    },
  });
  wire.on('data', (b: Buffer) => d.push(b));
  wire.on('end', () => d.push(null));
  return d;
}

/** The real agent (`node -e AGENT_SOURCE`) behind the client. */
export function realAgent(options: AgentClientOptions = {}): AgentRig {
  const child = spawn(process.execPath, ['-e', AGENT_SOURCE], { stdio: ['pipe', 'pipe', 'inherit'] });
  const wire = new PassThrough({ highWaterMark: 1 << 20 });
  child.stdout!.pipe(wire, { end: false });
  const sent: string[] = [];
  const client = new AgentClient(
    kernelSide(wire, (b) => {
      sent.push(...b.toString('utf8').split('\n').filter(Boolean));
      child.stdin!.write(b);
    }),
    options,
  );
  return {
    client,
    wire,
    sent,
    child,
    dispose: () => {
      client.close();
      child.kill('SIGKILL');
    },
  };
}

/** No agent at all: the test plays it (or stays silent). */
export function silentAgent(options: AgentClientOptions = {}): AgentRig {
  const wire = new PassThrough();
  const sent: string[] = [];
  const client = new AgentClient(
    kernelSide(wire, (b) => sent.push(...b.toString('utf8').split('\n').filter(Boolean))),
    options,
  );
  return { client, wire, sent, dispose: () => client.close() };
}

/** Seeded PRNG (mulberry32): a failing fuzz case is reproduced by its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes `data` into the wire in chunks and waits until the client has consumed them. */
export async function feed(wire: PassThrough, data: Buffer, chunk = 64 * 1024, after?: () => void): Promise<void> {
  for (let i = 0, n = 0; i < data.length; i += chunk, n++) {
    wire.write(data.subarray(i, i + chunk));
    after?.();
    if (n % 16 === 15) await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setImmediate(r));
  after?.();
}
