// sandbox/destroy: stops and removes a sandbox and its scratch volumes.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { needRuntime } from './need-runtime';

export const destroy = (s: KernelServices): Handler<'sandbox/destroy'> => ({ id }) => needRuntime(s).destroy(id, 'requested');
