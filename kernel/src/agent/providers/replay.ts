// Replay provider: records a session's model traffic to JSONL and replays it deterministically (offline demos and tests).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { ReplayTurn, type StreamEvent } from '../../../../protocol/src/agent';
import { AirlockError } from '../../../../protocol/src/errors';
import type { IProvider, ProviderRequest } from './types';

export { ReplayTurn };

export function requestDigest(req: ProviderRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([req.model, req.system ?? '', req.messages, req.tools.map((t) => t.name)]))
    .digest('hex')
    .slice(0, 16);
}

export function readReplayFile(file: string): ReplayTurn[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new AirlockError(
      'REPLAY_NOT_FOUND',
      `cannot read replay file ${file}: ${(err as Error).message}`,
      'record one with --record FILE, or pass an existing .jsonl',
    );
  }
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      let v: unknown;
      try {
        v = JSON.parse(l);
      } catch {
        throw new AirlockError('REPLAY_BAD_FILE', `${file}:${i + 1}: not JSON`);
      }
      const r = ReplayTurn.safeParse(v);
      if (!r.success) throw new AirlockError('REPLAY_BAD_FILE', `${file}:${i + 1}: ${r.error.issues[0]?.message}`);
      return r.data;
    });
}

export class ReplayProvider implements IProvider {
  readonly name = 'replay';
  private next = 0;
  constructor(
    private readonly turns: ReplayTurn[],
    private readonly opts: { onDiverge?: (turn: number, expected: string, actual: string) => void; strict?: boolean } = {},
  ) {}

  static fromFile(file: string, opts?: ReplayProvider['opts']): ReplayProvider {
    return new ReplayProvider(readReplayFile(file), opts);
  }

  async *stream(req: ProviderRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    const t = this.turns[this.next];
    if (!t)
      throw new AirlockError(
        'REPLAY_EXHAUSTED',
        `the replay has ${this.turns.length} turns and the agent asked for turn ${this.next + 1}`,
        'the run diverged from the recording; record a new session',
      );
    this.next++;
    if (t.request) {
      const actual = requestDigest(req);
      if (actual !== t.request) {
        this.opts.onDiverge?.(t.turn, t.request, actual);
        if (this.opts.strict)
          throw new AirlockError(
            'REPLAY_DIVERGED',
            `turn ${t.turn}: the request differs from the recording`,
            'record a new session or run without strict replay',
          );
      }
    }
    for (const e of t.events) {
      signal.throwIfAborted();
      yield e;
      // Yield to the event loop between events like a network stream would, so cancellation can land mid-turn.
      await new Promise<void>((r) => setImmediate(r));
    }
  }
}

/** Wraps a live provider and appends every turn it streams to a JSONL file. */
export class RecordingProvider implements IProvider {
  readonly name: string;
  private turn = 0;
  constructor(
    private readonly inner: IProvider,
    private readonly file: string,
  ) {
    this.name = inner.name;
  }

  async *stream(req: ProviderRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    const events: StreamEvent[] = [];
    const digest = requestDigest(req);
    const turn = ++this.turn;
    try {
      for await (const e of this.inner.stream(req, signal)) {
        events.push(e);
        yield e;
      }
    } finally {
      // Partial turns are recorded too (an error event ends them), so a replay reproduces failures as well.
      if (events.length) fs.appendFileSync(this.file, JSON.stringify({ turn, request: digest, events } satisfies ReplayTurn) + '\n');
    }
  }
}
