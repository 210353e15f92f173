// The known action names and the kind of resource each one takes; anything else is denied.
export type ResourceKind = 'path' | 'command' | 'hostport' | 'name';

export const ACTIONS: Readonly<Record<string, ResourceKind>> = {
  'fs.read': 'path',
  'fs.list': 'path',
  'fs.stat': 'path',
  'fs.write': 'path',
  'fs.delete': 'path',
  'fs.rename': 'path',
  exec: 'command',
  'net.connect': 'hostport',
  /** A second, explicit grant the egress proxy needs for an IP literal or a name that resolves to a non-public address. */
  'net.private': 'hostport',
  'sandbox.create': 'name',
  'sandbox.destroy': 'name',
  'plugin.install': 'name',
  'plugin.run': 'name',
  'provider.call': 'name',
  'tool.call': 'name',
  'patch.apply': 'path',
  'policy.update': 'path',
  'policy.read': 'path',
  'audit.read': 'name',
  'audit.delete': 'name',
  'state.read': 'name',
  'state.write': 'name',
};

export const KNOWN_ACTIONS: readonly string[] = Object.keys(ACTIONS);

export function resourceKind(action: string): ResourceKind | undefined {
  return Object.prototype.hasOwnProperty.call(ACTIONS, action) ? ACTIONS[action] : undefined;
}

/** Actions that change files: the ones built-in protections guard. */
export const WRITE_ACTIONS = ['fs.write', 'fs.delete', 'fs.rename', 'patch.apply'];
