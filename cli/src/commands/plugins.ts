// `airlock plugins`: tool plugins built with @airlock/plugin-sdk, each approved at a content hash and run in its own sandbox.
import type { Command } from '../command';
import { managePlugins, PLUGINS_USAGE } from '../plugins/manage';

export const plugins: Command = {
  name: 'plugins',
  summary: 'Tool plugins (list, add, approve, remove, logs): approved by content hash, each in its own sandbox',
  usage: PLUGINS_USAGE,
  run: (args, io) => managePlugins(args[0], args.slice(1), io),
};
