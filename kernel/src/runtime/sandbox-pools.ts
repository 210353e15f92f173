// The warm pools of a sandbox manager's templates: which exist, their target sizes, resizing, filling, their health,
// and cleaning a used sandbox for reuse.
import { AirlockError } from '../../../protocol/src/errors';
import { Disposable } from '../../../protocol/src/lifecycle';
import type { SandboxTemplateHealth } from '../../../protocol/src/methods/sandbox';
import type { SandboxTemplate } from '../../../core/src/templates';
import type { Sandbox } from './sandbox';
import type { TemplateImages } from './sandbox-images';
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

  /**
   * Per template: its image (or why there is none, e.g. not built yet) and its warm pool (target, ready now, and the
   * last error met while filling). Doctor and the extension's status bar read this through sandbox/pools.
   */
  async health(images: TemplateImages): Promise<Record<string, SandboxTemplateHealth>> {
    const out: Record<string, SandboxTemplateHealth> = {};
    for (const t of this.templates.values()) {
      const image = await images.resolve(t).then(
        (ref) => ({ image: ref }),
        (e) => ({ imageError: AirlockError.from(e).toPayload() }),
      );
      const pool = this.pools.get(t.name);
      out[t.name] = { ...image, pool: { target: pool?.targetSize ?? 0, ready: pool?.size ?? 0, error: pool?.lastError?.message } };
    }
    return out;
  }
}

/** Empties a used sandbox's /tmp before it goes back to its pool; false when that did not work (it is destroyed then). */
export async function emptyTmp(s: Sandbox): Promise<boolean> {
  const r = await s
    .exec(
      {
        argv: [
          'node',
          '-e',
          'const fs=require("fs");for(const f of fs.readdirSync("/tmp"))fs.rmSync("/tmp/"+f,{recursive:true,force:true})',
        ],
        timeoutMs: 5000,
      },
      'agent',
    )
    .catch(() => undefined);
  return r?.exitCode === 0;
}
