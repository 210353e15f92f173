// The review/* methods as the Patches view uses them; each says "not available in this kernel" when the protocol lacks it.
import { AirlockError } from '../../../protocol/src/errors';
import { MergePlan, PatchSet, PatchSetSummary, ReviewItem, ReviewState } from '../../../protocol/src/patches';
import type { KernelService } from '../kernel/kernelService';
import { NOT_AVAILABLE, requestOptional } from '../webview/capabilities';

export class ReviewClient {
  private shown = new Map<string, { set: PatchSet; review: ReviewState }>();
  constructor(private readonly kernel: KernelService | undefined) {}

  private async call<T>(method: string, params: unknown): Promise<T> {
    if (!this.kernel) throw new AirlockError('REVIEW_UNAVAILABLE', 'Airlock needs a trusted folder on disk');
    const r = await requestOptional<T>(await this.kernel.client(), method, params, { timeoutMs: 60_000 });
    if (!r.ok) throw new AirlockError('REVIEW_UNAVAILABLE', `Patch review is ${NOT_AVAILABLE}`, r.reason);
    return r.value;
  }

  async list(): Promise<PatchSetSummary[]> {
    return (await this.call<{ sets: PatchSetSummary[] }>('review/list', { status: 'pending' })).sets;
  }

  async show(id: string, fresh = false): Promise<{ set: PatchSet; review: ReviewState }> {
    const cached = this.shown.get(id);
    if (cached && !fresh) return cached;
    const r = await this.call<{ set: PatchSet; review: ReviewState }>('review/show', { id });
    this.shown.set(id, r);
    return r;
  }

  cached(id: string): { set: PatchSet; review: ReviewState } | undefined { return this.shown.get(id); }

  async decide(setId: string, items: ReviewItem[]): Promise<ReviewState> {
    const r = await this.call<{ review: ReviewState }>('review/decide', { setId, items });
    const c = this.shown.get(setId);
    if (c) c.review = r.review;
    return r.review;
  }

  plan(id: string): Promise<MergePlan> { return this.call<MergePlan>('review/plan', { id }); }

  async blob(id: string, hash: string, size: number): Promise<Uint8Array> {
    const parts: Buffer[] = [];
    for (let offset = 0; offset < size || size === 0;) {
      const r = await this.call<{ data: string; eof: boolean }>('review/blob', { id, hash, offset, length: 4 * 1024 * 1024 });
      const b = Buffer.from(r.data, 'base64');
      parts.push(b);
      offset += b.length;
      if (r.eof || b.length === 0) break;
    }
    return Buffer.concat(parts);
  }

  merged(id: string, report: { mergeId: string; outcome: 'merged' | 'undone' | 'failed'; paths: string[]; completePaths?: string[]; appliedHunks?: string[] }): Promise<unknown> {
    return this.call('review/merged', { id, ...report });
  }
}
