// The audit chain's tip in memory: checks each input, hashes it onto the chain and buffers its row for the writer.
import type { AuditEntry, AuditInput } from '../../../protocol/src/audit';
import { AirlockError } from '../../../protocol/src/errors';
import { entryHashOf, payloadParts, wellFormed } from './canonical';
import { SEP } from './commit';
import type { ChainPoint } from './head';

export const AUDIT_BAD_ENTRY = 'AUDIT_BAD_ENTRY';

const ACTION = /^[A-Za-z0-9_.:\/-]{1,128}$/;

/**
 * Owned by the log (log.ts), which runs its own refusals (closed, broken, backlog) before `build`: the entry is hashed
 * here, on the caller's thread, so its hash can be returned at once while the commit happens later.
 */
export class ChainTip {
  /** Buffered rows in the writer's batch format (commit.ts `CommitBatch.text`). */
  text = '';
  /** The last action that passed the ACTION check (most entries repeat one). */
  private lastAction = '';
  buffered = 0;
  lastSeq: number;
  lastHash: string;
  lastTime: number;

  constructor(
    start: ChainPoint,
    lastTime: number,
    private readonly now: () => number,
  ) {
    this.lastSeq = start.seq;
    this.lastHash = start.hash;
    this.lastTime = lastTime;
  }

  /** Hands the buffered rows over for one batch and starts an empty buffer. */
  take(): string {
    const text = this.text;
    this.text = '';
    this.buffered = 0;
    return text;
  }

  build(input: AuditInput): AuditEntry {
    const action = input.action;
    if (
      typeof input.subject !== 'string' ||
      !input.subject ||
      typeof action !== 'string' ||
      (action !== this.lastAction && !ACTION.test(action))
    ) {
      throw new AirlockError(
        AUDIT_BAD_ENTRY,
        `bad audit entry: subject ${JSON.stringify(input.subject)}, action ${JSON.stringify(input.action)}`,
      );
    }
    this.lastAction = action;
    const ruleIds = input.ruleIds ?? [];
    const { digest, stored } = payloadParts(input.payload);
    let time = this.now();
    if (time < this.lastTime) time = this.lastTime;
    const seq = this.lastSeq + 1;
    const session = input.session ? wellFormed(input.session) : '';
    const subject = wellFormed(input.subject);
    const resource = input.resource ? wellFormed(input.resource) : '';
    const decision = input.decision ? wellFormed(input.decision) : '';
    const ruleText = ruleIds.length ? wellFormed(JSON.stringify(ruleIds)) : '[]';
    const prevHash = this.lastHash;
    const hash = entryHashOf(prevHash, seq, time, session, subject, action, resource, decision, ruleText, digest, stored);
    this.text +=
      seq +
      SEP +
      time +
      SEP +
      session +
      SEP +
      subject +
      SEP +
      action +
      SEP +
      resource +
      SEP +
      decision +
      SEP +
      ruleText +
      SEP +
      digest +
      SEP +
      (stored ?? '') +
      SEP +
      prevHash +
      SEP +
      hash +
      SEP;
    this.buffered++;
    this.lastSeq = seq;
    this.lastHash = hash;
    this.lastTime = time;
    return {
      seq,
      time,
      session: session || null,
      subject,
      action,
      resource,
      decision: decision || null,
      ruleIds,
      payloadDigest: digest,
      payload: input.payload ?? null,
      prevHash,
      hash,
    };
  }
}
