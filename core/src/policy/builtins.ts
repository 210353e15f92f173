// Built-in rules (compiled in, at most 10): protections no user rule can weaken, since the strictest effect wins.
// Their path patterns match folded (case, Unicode, NTFS trailing dots/streams/short names: fold.ts): on macOS and
// Windows `.GIT/hooks` or `POLICI~1/strict.yaml` are the protected files themselves.
import type { PolicyRule } from '../../../protocol/src/policy';
import { WRITE_ACTIONS } from './actions';

export interface BuiltinOptions {
  /** The kernel's state directory (SQLite files, audit log, token key), absolute. */
  stateDir?: string;
  /** Where the kernel's own code and default policies live, absolute. */
  kernelDir?: string;
}

const UNTRUSTED = ['agent:*', 'plugin:*'];

export function builtinRules(o: BuiltinOptions = {}): PolicyRule[] {
  const abs = (dir: string | undefined, ...sub: string[]) => (dir ? sub.map((s) => `${dir.replace(/\/+$/, '')}/${s}`) : []);
  return [
    {
      id: 'builtin.policy-files',
      effect: 'deny',
      actions: WRITE_ACTIONS,
      resources: ['policies/**', '.airlock/policies/**', ...abs(o.kernelDir, 'policies/**')],
      reason: 'policy files change only through policy.update, which a person approves',
    },
    { id: 'builtin.policy-update-ask', effect: 'ask', actions: ['policy.update'], reason: 'a person approves every policy change' },
    {
      id: 'builtin.policy-update-untrusted',
      effect: 'deny',
      subjects: UNTRUSTED,
      actions: ['policy.update'],
      reason: 'the agent and plugins can never change policy',
    },
    {
      id: 'builtin.bootstrap-files',
      effect: 'deny',
      actions: WRITE_ACTIONS,
      resources: ['.airlock/bootstrap/**', '.airlock/*.json', '.airlock/*.yaml', '.airlock/*.yml', ...abs(o.kernelDir, 'bootstrap/**')],
      reason: 'bootstrap files start the kernel and are never written through Airlock',
    },
    {
      id: 'builtin.kernel-files',
      effect: 'deny',
      actions: [...WRITE_ACTIONS, 'fs.read', 'fs.list', 'fs.stat'],
      subjects: UNTRUSTED,
      resources: ['/proc/**', '/sys/**', '/dev/**', ...abs(o.kernelDir, '**')],
      reason: 'the kernel process and its files are off limits',
    },
    {
      id: 'builtin.git-dir',
      effect: 'deny',
      actions: WRITE_ACTIONS,
      subjects: UNTRUSTED,
      resources: ['.git', '.git/**', '**/.git', '**/.git/**'],
      reason: 'git internals (config, hooks) run code on the next git command; they are never written by the agent or merged',
    },
    { id: 'builtin.audit-delete', effect: 'deny', actions: ['audit.delete'], reason: 'the audit log is append-only' },
    {
      id: 'builtin.audit-files',
      effect: 'deny',
      actions: WRITE_ACTIONS,
      resources: ['.airlock/audit/**', ...abs(o.stateDir, 'audit/**', 'audit.db*')],
      reason: 'the audit log is append-only and written only by the kernel',
    },
    {
      id: 'builtin.state-dir',
      effect: 'deny',
      actions: [...WRITE_ACTIONS, 'fs.read', 'fs.list', 'fs.stat'],
      subjects: UNTRUSTED,
      resources: ['.airlock/**', ...abs(o.stateDir, '**')],
      reason: 'the state directory (database, keys) belongs to the kernel',
    },
    {
      id: 'builtin.state-write',
      effect: 'deny',
      actions: ['state.write'],
      subjects: UNTRUSTED,
      reason: 'only the kernel writes its state database',
    },
  ];
}
