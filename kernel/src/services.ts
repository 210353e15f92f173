// What handlers may use: the kernel's services, each behind a small interface, owned by main.ts.
import type { KernelConfig } from './config';
import type { IEventBus } from './event-bus';

export interface KernelServices {
  readonly config: KernelConfig;
  readonly version: string;
  readonly startedAt: number;
  /** Typed events pushed to every connected client (extension, CLI). */
  readonly events: IEventBus;
}
