// Turns a request's raw resource into the normalised form(s) rules are matched against, or a reason to deny.
import type { PolicyRequest } from '../../../protocol/src/policy';
import { type ResourceKind, resourceKind } from './actions';
import { normaliseHostPort, normaliseName, normalisePath, type Normalised } from './normalise';
import { type Cap, parseCommandLine } from './shell';

/** `shadow`: a reading (only deny/ask count); `any`: a command that cannot be known (every deny/ask rule counts). */
export interface Item {
  value: string;
  absolute: boolean;
  shadow: boolean;
  any?: boolean;
}
export type Prepared =
  | { ok: true; kind: ResourceKind; items: Item[]; caps: readonly Cap[]; canonical: string; absolute: boolean }
  | { ok: false; reason: string };

const VALID_ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;

export function prepareRequest(req: PolicyRequest, workspace?: string): Prepared {
  const s = req.subject as PolicyRequest['subject'] | undefined;
  if (!s || typeof s.id !== 'string' || !['agent', 'plugin', 'user', 'kernel'].includes(s.kind) || !Array.isArray(s.tags))
    return { ok: false, reason: 'request subject is malformed' };
  if (s.id.length > 256 || s.id.includes('\0')) return { ok: false, reason: 'subject id is malformed' };
  if (typeof req.action !== 'string' || !VALID_ACTION.test(req.action))
    return { ok: false, reason: `action ${JSON.stringify(String(req.action).slice(0, 100))} is malformed` };
  const kind = resourceKind(req.action);
  if (!kind) return { ok: false, reason: `unknown action ${req.action} (default deny)` };
  if (typeof req.resource !== 'string') return { ok: false, reason: 'resource is not a string' };
  if (kind === 'command') {
    const parsed = parseCommandLine(req.resource);
    if (!parsed.ok) return parsed;
    const canonical = req.resource.trim().replace(/\s+/g, ' ');
    return {
      ok: true,
      kind,
      items: parsed.commands.map((c) => ({ value: c.text, absolute: false, shadow: !!c.shadow || !!c.any, any: !!c.any })),
      caps: parsed.caps,
      canonical,
      absolute: false,
    };
  }
  let n: Normalised;
  switch (kind) {
    case 'path':
      n = normalisePath(req.resource, workspace);
      break;
    case 'hostport':
      n = normaliseHostPort(req.resource);
      break;
    case 'name':
      n = normaliseName(req.resource);
      break;
    default: {
      const never: never = kind;
      return { ok: false, reason: `unhandled resource kind ${String(never)}` };
    }
  }
  if (!n.ok) return n;
  return {
    ok: true,
    kind,
    items: [{ value: n.value, absolute: n.absolute, shadow: false }],
    caps: [],
    canonical: n.value,
    absolute: n.absolute,
  };
}
