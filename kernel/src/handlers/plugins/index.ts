// The plugins domain's handlers (kernel/src/plugins/registry.ts), each in its own file.
import type { KernelServices } from '../../services';
import { approve } from './approve';
import { configure } from './configure';
import { list } from './list';
import { logs } from './logs';
import { remove } from './remove';

export const pluginsHandlers = (s: Pick<KernelServices, 'plugins'>) => ({
  'plugins/configure': configure(s),
  'plugins/list': list(s),
  'plugins/approve': approve(s),
  'plugins/remove': remove(s),
  'plugins/logs': logs(s),
});
