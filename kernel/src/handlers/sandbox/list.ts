// sandbox/list: this kernel's sandboxes (warm-pool ones included) with their lifecycle state.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { needRuntime } from './need-runtime';

export const list = (s: KernelServices): Handler<'sandbox/list'> => () => {
  const rt = needRuntime(s);
  return { sandboxes: rt.list(), templates: [...rt.templates.keys()], engine: rt.runtime.engine };
};
