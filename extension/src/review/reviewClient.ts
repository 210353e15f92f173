// The review/* methods as the Patches view uses them, through the typed client: kernel errors reach the view as they are.
import { AirlockError } from '../../../protocol/src/errors';
import type { MethodName, ParamsOf, ResultOf } from '../../../protocol/src/methods';
import { type MergePlan, type PatchSet, type PatchSetSummary, type ReviewItem, type ReviewState } from '../../../protocol/src/patches';
import type { Verification } from '../../../protocol/src/provenance';

/** A set as the view shows it: its decisions and its last verify-before-merge run (current = of what a merge writes now). */
export interface ShownSet {
  set: PatchSet;
  review: ReviewState;
  done: string[];
  verification?: Verification;
  verificationCurrent?: boolean;
}
import type { KernelService } from '../kernel/kernelService';

export class ReviewClient {
  private shown = new Map<string, ShownSet>();
  private readonly titles = new Map<string, string>();
  constructor(private readonly kernel: Pick<KernelService, 'client'> | undefined) {}

  /** No "not available" fallback: the extension and the kernel ship together and the handshake checks the protocol. */
  private async call<M extends MethodName>(method: M, params: ParamsOf<M>, timeoutMs = 60_000): Promise<ResultOf<M>> {
    if (!this.kernel) throw new AirlockError('REVIEW_UNAVAILABLE', 'Airlock needs a trusted folder on disk');
    return (await this.kernel.client()).request(method, params, { timeoutMs });
  }

  async list(): Promise<PatchSetSummary[]> {
    return (await this.call('review/list', { status: 'pending' })).sets;
  }

  async show(id: string, fresh = false): Promise<ShownSet> {
    const cached = this.shown.get(id);
    if (cached && !fresh) return cached;
    const r = await this.call('review/show', { id });
    this.shown.set(id, r);
    return r;
  }

  cached(id: string): ShownSet | undefined {
    return this.shown.get(id);
  }

  /**
   * Task id → title (the prompt's start), to label sets by what was asked; an unreachable scheduler labels by id. A
   * task's title never changes: the scheduler is asked only when a set names a task not seen yet (the Patches view
   * refreshes after every decision).
   */
  async taskTitles(taskIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    if (taskIds.every((id) => this.titles.has(id))) return this.titles;
    try {
      for (const t of (await this.call('tasks/list', {}, 15_000)).tasks) this.titles.set(t.id, t.title);
    } catch {
      /* labelled by id */
    }
    return this.titles;
  }

  /** Verify before merge: the kernel builds the accepted hunks in a fresh sandbox and reruns the tests (minutes). */
  verify(id: string): Promise<Verification> {
    return this.call('review/verify', { id }, 12 * 60_000);
  }

  async decide(setId: string, items: ReviewItem[]): Promise<ReviewState> {
    const r = await this.call('review/decide', { setId, items });
    const c = this.shown.get(setId);
    if (c) {
      c.review = r.review;
      c.set = { ...c.set, status: r.status };
    }
    return r.review;
  }

  plan(id: string): Promise<MergePlan> {
    return this.call('review/plan', { id });
  }

  async blob(id: string, hash: string, size: number): Promise<Uint8Array> {
    const parts: Buffer[] = [];
    for (let offset = 0; offset < size || size === 0;) {
      const r = await this.call('review/blob', { id, hash, offset, length: 4 * 1024 * 1024 });
      const b = Buffer.from(r.data, 'base64');
      parts.push(b);
      offset += b.length;
      if (r.eof || b.length === 0) break;
    }
    return Buffer.concat(parts);
  }

  merged(
    id: string,
    report: {
      mergeId: string;
      outcome: 'merged' | 'undone' | 'failed';
      paths: string[];
      completePaths?: string[];
      appliedHunks?: string[];
    },
  ): Promise<ResultOf<'review/merged'>> {
    return this.call('review/merged', { id, ...report });
  }
}
