// What handlers may use: the kernel's services, each behind a small interface, owned by main.ts.
import type { KernelConfig } from './config';

export interface KernelServices {
  readonly config: KernelConfig;
  readonly version: string;
  readonly startedAt: number;
}
