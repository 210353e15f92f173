// The kernel's SQLite stores besides audit.db, as host tools see them (`airlock state`); the kernel adds its chain checks.
import * as path from 'node:path';
import type { StoreSpec } from './check';

/** test/unit/store/state-cli.test.ts keeps the versions and tables equal to what the kernel's stores write. */
export const KERNEL_STORES = [
  { name: 'workflow', file: 'workflow.db', version: 0, tables: ['wf_sessions', 'wf_transitions'] },
  { name: 'sessions', file: 'sessions.db', version: 1, tables: ['sessions', 'events'] },
] as const;

export type KernelStoreName = (typeof KERNEL_STORES)[number]['name'];

export function kernelStoreSpecs(stateDir: string): StoreSpec[] {
  return KERNEL_STORES.map((s) => ({ ...s, file: path.join(stateDir, s.file) }));
}
