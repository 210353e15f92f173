// A pool of pre-created, labelled scratch volumes, refilled in the background (creating one costs an engine call).
import { randomBytes } from 'node:crypto';
import { Disposable } from '../../../protocol/src/lifecycle';
import { LABEL, OWNER_VALUE, type IContainerRuntime } from './types';

export class VolumePool extends Disposable {
  private readonly free: string[] = [];
  private filling?: Promise<void>;
  private disposed = false;

  constructor(private readonly runtime: IContainerRuntime, private readonly labels: Record<string, string>, readonly size: number) {
    super();
  }

  private async createOne(): Promise<string> {
    const name = `airlock-vol-${randomBytes(6).toString('hex')}`;
    return this.runtime.createVolume(name, { ...this.labels, [LABEL.owner]: OWNER_VALUE, [LABEL.role]: 'scratch' });
  }

  /** Tops the pool up; concurrent calls share one fill. */
  fill(): Promise<void> {
    this.filling ??= (async () => {
      try { while (!this.disposed && this.free.length < this.size) this.free.push(await this.createOne()); }
      finally { this.filling = undefined; }
    })();
    return this.filling;
  }

  get available(): number { return this.free.length; }

  /** A free volume now (from the pool when one is ready), and a refill started in the background. */
  async acquire(): Promise<string> {
    const v = this.free.shift() ?? await this.createOne();
    void this.fill().catch(() => { /* the next acquire creates one directly */ });
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
