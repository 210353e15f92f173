// provider/configure: an API key / base URL for a provider, kept in kernel memory only and redacted everywhere.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const configure = (s: Pick<KernelServices, 'tasks'>): Handler<'provider/configure'> => (params) => ({ configured: s.tasks.configure(params) });
