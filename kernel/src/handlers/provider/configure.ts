// provider/configure: an API key / base URL for a provider, kept in kernel memory only and redacted everywhere.
import type { Handler } from '../../../../protocol/src/rpc-server';
import { checkProviderConfigure } from '../../managed';
import type { KernelServices } from '../../services';

export const configure =
  (s: Pick<KernelServices, 'tasks' | 'config'>): Handler<'provider/configure'> =>
  (params) => {
    if (s.config.managed) checkProviderConfigure(s.config.managed, params);
    return { configured: s.tasks.configure(params) };
  };
