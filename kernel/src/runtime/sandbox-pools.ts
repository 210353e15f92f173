// The warm pools of a sandbox manager's templates: which exist, their target sizes, resizing and filling them.
import { Disposable } from '../../../protocol/src/lifecycle';
import type { SandboxTemplate } from '../../../core/src/templates';
import type { Sandbox } from './sandbox';
import { WarmPool } from './warm-pool';

export interface PoolFactory {
  /** A fresh ready sandbox for a pool. */
  create(t: SandboxTemplate): Promise<Sandbox>;
  /** Gets rid of a sandbox the pool no longer wants. */
  discard(s: Sandbox): Promise<unknown>;
}

export class WarmPools extends Disposable {
  private readonly pools = new Map<string, WarmPool>();

  /** With `enabled` false there are no pools and resizing changes nothing. */
  constructor(
    private readonly templates: Map<string, SandboxTemplate>,
    readonly enabled: boolean,
    private readonly factory: PoolFactory,
  ) {
    super();
    if (!enabled) return;
    for (const t of templates.values()) if (t.pool.size > 0) this.add(t);
  }

  private add(t: SandboxTemplate): WarmPool {
    const pool = this._register(
      new WarmPool(
        t,
        () => this.factory.create(t),
        (s) => this.factory.discard(s),
      ),
    );
    this.pools.set(t.name, pool);
    return pool;
  }

  get(template: string): WarmPool | undefined {
    return this.pools.get(template);
  }

  /** Every template's target size (0 where it has no pool). */
  sizes(): Record<string, number> {
    return Object.fromEntries([...this.templates.keys()].map((name) => [name, this.pools.get(name)?.targetSize ?? 0]));
  }

  /** Shrinking destroys surplus ready sandboxes before this returns; growing fills in the background. */
  async resize(sizes: ReadonlyArray<readonly [SandboxTemplate, number]>): Promise<void> {
    if (!this.enabled) return;
    await Promise.all(sizes.map(([t, n]) => (this.pools.get(t.name) ?? (n > 0 ? this.add(t) : undefined))?.resize(n)));
  }

  /** Fills every pool in the background. */
  fill(): void {
    for (const p of this.pools.values()) void p.fill().catch(() => {});
  }
}
