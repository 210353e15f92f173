// The kernel's audit log at start: open, verify the whole chain, and gate sessions on the result; retention and warnings.
import type { AuditVerifyReport } from '../../../protocol/src/audit';
import { AirlockError } from '../../../protocol/src/errors';
import { Disposable, toDisposable } from '../../../protocol/src/lifecycle';
import type { IEventBus } from '../event-bus';
import { AUDIT_BROKEN, AuditLog } from '../../../core/src/audit/log';
import type { AuditLogOptions, IAuditLog } from '../../../core/src/audit/types';

const HOUR = 3_600_000;
const WARN_EVERY = 5 * 60_000;

/** Owns the log for the kernel; sessions may start only when the chain verified intact at start. */
export class KernelAudit extends Disposable {
  readonly log: IAuditLog | undefined;
  private openError: AirlockError | undefined;

  private constructor(opts: AuditLogOptions, events?: IEventBus) {
    super();
    try {
      this.log = this._register(AuditLog.open(opts));
    } catch (e) {
      this.openError = AirlockError.from(e);
      return;
    }
    const log = this.log;
    const warnAll = () => {
      try {
        for (const w of log.stats().warnings) events?.emit('audit/warning', w);
      } catch {
        /* stats on a closed log */
      }
    };
    if (events) {
      // Coalesced: at most four `audit/appended` events a second, however fast entries arrive.
      let pending: { firstSeq: number; lastSeq: number } | undefined;
      let timer: NodeJS.Timeout | undefined;
      const emit = () => {
        clearTimeout(timer);
        timer = undefined;
        if (pending) events.emit('audit/appended', pending);
        pending = undefined;
      };
      this._register(
        log.onDidAppend((e) => {
          pending = pending ? { firstSeq: pending.firstSeq, lastSeq: e.lastSeq } : e;
          timer ??= setTimeout(emit, 250);
        }),
      );
      this._register(log.onDidWarn((w) => events.emit('audit/warning', w)));
      // Disposed first (last registered): write the buffer, then announce it.
      this._register(
        toDisposable(() => {
          try {
            log.flush();
          } catch {
            /* reported by onDidWarn */
          }
          emit();
        }),
      );
    }
    const warn = setInterval(warnAll, WARN_EVERY);
    const prune = setInterval(() => {
      try {
        if (!log.broken) log.prune();
      } catch {
        /* retried next hour */
      }
      warnAll();
    }, HOUR);
    warn.unref();
    prune.unref();
    this._register(
      toDisposable(() => {
        clearInterval(warn);
        clearInterval(prune);
      }),
    );
  }

  /** Opens and fully verifies the log; never throws for a damaged or missing log (the state says why). */
  static async start(opts: AuditLogOptions, events?: IEventBus, signal?: AbortSignal): Promise<KernelAudit> {
    const k = new KernelAudit(opts, events);
    if (k.log && !k.log.broken) {
      const r = await k.log.verify(signal);
      if (r.type === 'intact') {
        if (opts.retention?.maxAgeMs || opts.retention?.maxBytes) k.log.prune();
        k.log.append({ subject: 'kernel', action: 'kernel.start', resource: 'audit', payload: { entries: r.entries, verifyMs: r.ms } });
      }
    }
    return k;
  }

  /** The log for writers; throws AUDIT_UNAVAILABLE when it could not be opened (recording before acting fails closed). */
  get writer(): IAuditLog {
    if (this.log) return this.log;
    throw new AirlockError(
      'AUDIT_UNAVAILABLE',
      `the audit log cannot be opened: ${this.openError?.message ?? 'unknown'}`,
      this.openError?.hint,
    );
  }

  get report(): AuditVerifyReport | null {
    if (this.openError) return { type: 'unusable', code: this.openError.code, message: this.openError.message, hint: this.openError.hint };
    return this.log?.verification ?? null;
  }

  /** Sessions need an intact chain: damage is kept for inspection, and nothing new is recorded on top of it. */
  get sessionsAllowed(): boolean {
    return !!this.log && !this.log.broken && this.report?.type === 'intact';
  }

  assertSessionsAllowed(): void {
    if (this.sessionsAllowed) return;
    const r = this.report;
    const why = !r
      ? 'the audit log was not verified yet'
      : r.type === 'tampered'
        ? `the audit log failed verification${r.seq !== undefined ? ` at entry ${r.seq}` : ''}: ${r.message}`
        : r.type === 'unusable'
          ? `the audit log cannot be used: ${r.message}`
          : 'the audit log is not available';
    throw new AirlockError(
      AUDIT_BROKEN,
      `${why}; no session can start`,
      `inspect it with \`airlock audit verify --db ${this.log?.dbPath ?? 'PATH'}\`; the damaged file is kept as it is`,
    );
  }
}
