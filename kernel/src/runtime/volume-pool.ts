// A pool of pre-created, labelled scratch volumes, refilled in the background (creating one costs an engine call).
import { randomBytes } from 'node:crypto';
import { AirlockError } from '../../../protocol/src/errors';
import { Disposable } from '../../../protocol/src/lifecycle';
import { parseSize } from '../../../core/src/templates';
import { LABEL, OWNER_VALUE, type IContainerRuntime } from './types';

/** Who owns a scratch volume's root directory: the sandbox user of the template that mounts it. */
export interface VolumeOwner {
  uid: number;
  gid: number;
}

/** A template's numeric `uid[:gid]` (the schema allows nothing else) as a volume owner; gid defaults to the uid. */
export function volumeOwner(user: string): VolumeOwner {
  const [uid, gid] = user.split(':').map(Number);
  return { uid, gid: gid ?? uid };
}

/** Pooled scratch volumes belong to the sandbox user most templates share (1000:1000 for the shipped ones). */
export function commonOwner(templates: Iterable<{ user: string }>): VolumeOwner {
  const counts = new Map<string, number>();
  for (const t of templates) counts.set(t.user, (counts.get(t.user) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1])[0];
  return volumeOwner(top?.[0] ?? '1000:1000');
}

/**
 * Scratch volumes are tmpfs volumes of the engine's local driver, mounted with the sandbox user as owner. A plain
 * local volume's root is root-owned on Docker (NoCopy, and an arbitrary target has no image directory to copy the
 * owner from), so the sandbox user could not write it; chowning would need a capability in the sandbox. tmpfs pages
 * are charged to the writing sandbox's memory limit; `size` (e.g. 256m) caps a volume further, as tmpfs `nr_blocks`
 * (4 KiB pages): Podman takes a `size=` option for an XFS project quota and refuses it elsewhere.
 */
export function scratchDriverOpts(owner: VolumeOwner, size?: string): Record<string, string> {
  const quota = size ? `,nr_blocks=${Math.ceil(parseSize(size) / 4096)}` : '';
  return { type: 'tmpfs', device: 'tmpfs', o: `nosuid,nodev,mode=0700,uid=${owner.uid},gid=${owner.gid}${quota}` };
}

export interface VolumePoolOptions {
  /** The owner of pooled volumes (other owners get a volume created on demand). */
  owner: VolumeOwner;
  /** tmpfs size cap per volume; unset = only the sandbox's memory limit bounds it. */
  volumeSize?: string;
}

export class VolumePool extends Disposable {
  private readonly free: string[] = [];
  private filling?: Promise<void>;
  private disposed = false;

  constructor(
    private readonly runtime: IContainerRuntime,
    private readonly labels: Record<string, string>,
    readonly size: number,
    private readonly opts: VolumePoolOptions = { owner: { uid: 1000, gid: 1000 } },
  ) {
    super();
    if (opts.volumeSize !== undefined && !/^\d+[kmg]$/i.test(opts.volumeSize)) {
      throw new AirlockError(
        'SANDBOX_BAD_VOLUME_SIZE',
        `scratch volume size ${JSON.stringify(opts.volumeSize)} is not a size`,
        'a size like 256m or 1g (AIRLOCK_VOLUME_SIZE)',
      );
    }
  }

  private async createOne(owner = this.opts.owner): Promise<string> {
    const name = `airlock-vol-${randomBytes(6).toString('hex')}`;
    return this.runtime.createVolume(
      name,
      { ...this.labels, [LABEL.owner]: OWNER_VALUE, [LABEL.role]: 'scratch' },
      scratchDriverOpts(owner, this.opts.volumeSize),
    );
  }

  /** Tops the pool up; concurrent calls share one fill. */
  fill(): Promise<void> {
    this.filling ??= (async () => {
      try {
        while (!this.disposed && this.free.length < this.size) this.free.push(await this.createOne());
      } finally {
        this.filling = undefined;
      }
    })();
    return this.filling;
  }

  get available(): number {
    return this.free.length;
  }

  /** A free volume owned by `owner` now (from the pool when one is ready and the owner is the pool's), and a
   * refill started in the background. */
  async acquire(owner: VolumeOwner = this.opts.owner): Promise<string> {
    if (owner.uid !== this.opts.owner.uid || owner.gid !== this.opts.owner.gid) return this.createOne(owner);
    const v = this.free.shift() ?? (await this.createOne());
    void this.fill().catch(() => {
      /* the next acquire creates one directly */
    });
    return v;
  }

  release(name: string): Promise<void> {
    return this.runtime.removeVolume(name);
  }

  override dispose(): void {
    this.disposed = true;
    for (const v of this.free.splice(0)) void this.runtime.removeVolume(v).catch(() => {});
    super.dispose();
  }
}
