// review/list: summaries of patch sets, optionally by status.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { patches } from './service';

export const list = (s: KernelServices): Handler<'review/list'> => (params) => ({ sets: patches(s).list(params.status) });
