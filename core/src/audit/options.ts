// The audit log's retention and warning thresholds, read from the environment by the kernel and by `airlock audit`.
import { parseDuration, parseSize } from '../policy/units';
import { auditPaths, type AuditLogOptions } from './types';

/** Retention and warning thresholds from the kernel's environment, parsed with the policy unit parser. */
export function auditOptionsFromEnv(stateDir: string, env: NodeJS.ProcessEnv = process.env): AuditLogOptions {
  const size = (k: string) => (env[k] ? parseSize(env[k]!) : undefined);
  return {
    ...auditPaths(stateDir),
    retention: {
      maxAgeMs: env.AIRLOCK_AUDIT_MAX_AGE ? parseDuration(env.AIRLOCK_AUDIT_MAX_AGE) : undefined,
      maxBytes: size('AIRLOCK_AUDIT_MAX_SIZE'),
    },
    warnings: { minDiskFreeBytes: size('AIRLOCK_AUDIT_WARN_DISK_FREE'), maxDbBytes: size('AIRLOCK_AUDIT_WARN_DB_SIZE') },
  };
}
