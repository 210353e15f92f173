// Managed settings inside the kernel: recorded at start, enforced on every task, whatever client sent it.
import type { AuditInput } from '../../protocol/src/audit';
import type { Budgets } from '../../protocol/src/agent';
import { AirlockError } from '../../protocol/src/errors';
import type { ParamsOf } from '../../protocol/src/methods';
import type { ConfigKey } from '../../core/src/config/keys';
import { decodeManaged, type Managed, managedRefusal } from '../../core/src/config/managed';

export const CONFIG_MANAGED_REFUSED = 'CONFIG_MANAGED_REFUSED';

export function managedFromEnv(env: NodeJS.ProcessEnv = process.env): Managed {
  return decodeManaged(env.AIRLOCK_MANAGED);
}

/** The audit entry every kernel start writes: which managed settings were in force (digest and source files). */
export function managedStartEntry(m: Managed): AuditInput {
  return {
    subject: 'kernel',
    action: 'config.managed',
    resource: 'config',
    decision: 'ok',
    payload: { digest: m.digest, sources: m.sources, locked: Object.keys(m.lock).sort(), allowLists: Object.keys(m.allow).sort() },
  };
}

function refuse(m: Managed, key: ConfigKey, value: unknown, what: string): void {
  if (value === undefined) return;
  const why = managedRefusal(m, key, value);
  if (why)
    throw new AirlockError(
      CONFIG_MANAGED_REFUSED,
      `${what} ${JSON.stringify(value)} is ${why}`,
      `your administrator manages ${key}; \`airlock config explain ${key}\` shows what is allowed`,
    );
}

export function checkProviderConfigure(m: Managed, p: ParamsOf<'provider/configure'>): void {
  refuse(m, 'agent.provider', p.provider, 'provider');
  refuse(m, 'agent.baseUrl', p.baseUrl, 'base URL');
}

/** Refuses a task that breaks managed settings and fills budgets a managed maximum caps (unset means unlimited). */
type TaskFields = Pick<ParamsOf<'task/start'>, 'provider' | 'model' | 'baseUrl' | 'mode' | 'budgets' | 'replay'> & {
  autoMerge?: { enabled?: boolean };
};
export function applyManagedToTask<P extends TaskFields>(m: Managed, p: P): P {
  refuse(m, 'agent.provider', p.provider ?? (p.replay ? 'replay' : undefined), 'provider');
  refuse(m, 'agent.model', p.model, 'model');
  refuse(m, 'agent.baseUrl', p.baseUrl, 'base URL');
  refuse(m, 'agent.mode', p.mode ?? 'strict', 'mode');
  if (p.autoMerge?.enabled) refuse(m, 'review.autoMerge', true, 'auto-merge');
  const max = (k: ConfigKey) => (m.maximum[k] === undefined ? undefined : Number(m.maximum[k]));
  const budgets: Budgets = { ...p.budgets };
  const caps: [keyof Budgets, ConfigKey, number][] = [
    ['maxTokens', 'budget.maxTokens', 1],
    ['maxCostUsd', 'budget.maxCostUsd', 1],
    ['maxTurns', 'budget.maxTurns', 1],
    ['maxWallMs', 'budget.maxWallMinutes', 60_000],
  ];
  for (const [field, key, scale] of caps) {
    const cap = max(key);
    if (cap === undefined) continue;
    const given = budgets[field];
    if (given !== undefined && given > cap * scale) refuse(m, key, given / scale, `budget ${field}`);
    budgets[field] = given ?? (field === 'maxCostUsd' ? cap : Math.round(cap * scale));
  }
  return Object.values(budgets).some((v) => v !== undefined) ? { ...p, budgets } : p;
}

/** Retention below a managed minimum is ignored (entries are then kept), never shortened past what the administrator set. */
export function applyManagedToAudit<T extends { retention?: { maxAgeMs?: number; maxBytes?: number } }>(m: Managed, opts: T): T {
  const r = { ...opts.retention };
  if (r.maxAgeMs !== undefined && managedRefusal(m, 'audit.maxAge', `${r.maxAgeMs}ms`)) r.maxAgeMs = undefined;
  if (r.maxBytes !== undefined && managedRefusal(m, 'audit.maxSize', String(r.maxBytes))) r.maxBytes = undefined;
  return { ...opts, retention: r };
}
