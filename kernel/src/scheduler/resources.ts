// Per-resource concurrency accounting (sandboxes, model requests, CPU): limits, use, fit and shortfall.
import { AirlockError } from '../../../protocol/src/errors';
import type { ResourceName, Resources } from '../../../protocol/src/methods/tasks';
import { RESOURCE_NAMES } from './types';

export class ResourcePool {
  private readonly used: Record<ResourceName, number> = { sandboxes: 0, modelRequests: 0, cpu: 0 };

  /** A missing limit means unlimited. */
  constructor(private readonly limits: Resources) {}

  get limitsSnapshot(): Resources {
    return { ...this.limits };
  }

  get inUse(): Resources {
    return { ...this.used };
  }

  limitOf(r: ResourceName): number {
    return this.limits[r] ?? Infinity;
  }

  /** Throws when a task could never run, however empty the pool. */
  checkSatisfiable(taskId: string, need: Resources): void {
    for (const r of RESOURCE_NAMES) {
      const n = need[r] ?? 0;
      if (n > this.limitOf(r)) {
        throw new AirlockError(
          'TASKS_UNSATISFIABLE',
          `task ${taskId} needs ${n} ${r} but the limit is ${this.limitOf(r)}`,
          `lower the task's ${r} need or raise the scheduler limit`,
        );
      }
    }
  }

  fits(need: Resources): boolean {
    for (const r of RESOURCE_NAMES) {
      const n = need[r];
      if (n && this.used[r] + n > this.limitOf(r)) return false;
    }
    return true;
  }

  /** How much of each resource is missing for `need` (only positive entries). */
  shortfall(need: Resources): Resources {
    const out: Resources = {};
    for (const r of RESOURCE_NAMES) {
      const miss = (need[r] ?? 0) + this.used[r] - this.limitOf(r);
      if (miss > 0) out[r] = miss;
    }
    return out;
  }

  acquire(need: Resources): void {
    for (const r of RESOURCE_NAMES) this.used[r] += need[r] ?? 0;
  }

  release(held: Resources): void {
    for (const r of RESOURCE_NAMES) {
      this.used[r] -= held[r] ?? 0;
      if (this.used[r] < 0) throw new AirlockError('INTERNAL', `scheduler released more ${r} than it held`);
    }
  }
}

export function subtract(a: Resources, b: Resources): Resources {
  const out: Resources = {};
  for (const r of RESOURCE_NAMES) {
    const v = (a[r] ?? 0) - (b[r] ?? 0);
    if (v > 0) out[r] = v;
  }
  return out;
}

export function pick(a: Resources, names: readonly ResourceName[]): Resources {
  const out: Resources = {};
  for (const r of names) if (a[r]) out[r] = a[r];
  return out;
}

export function covers(have: Resources, need: Resources): boolean {
  return RESOURCE_NAMES.every((r) => (have[r] ?? 0) >= (need[r] ?? 0));
}

export function add(a: Resources, b: Resources): Resources {
  const out: Resources = {};
  for (const r of RESOURCE_NAMES) {
    const v = (a[r] ?? 0) + (b[r] ?? 0);
    if (v > 0) out[r] = v;
  }
  return out;
}
