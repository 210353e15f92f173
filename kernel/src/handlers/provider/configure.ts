// provider/configure: an API key / base URL for a provider, kept in kernel memory only and redacted everywhere.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { needTasks } from '../task/need';

export const configure = (s: KernelServices): Handler<'provider/configure'> => (params) => ({ configured: needTasks(s).configure(params) });
