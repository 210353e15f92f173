// sandbox/list: this kernel's sandboxes (warm-pool ones included) with their lifecycle state.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const list =
  (s: Pick<KernelServices, 'runtime'>): Handler<'sandbox/list'> =>
  () => {
    const rt = s.runtime;
    return { sandboxes: rt.list(), templates: [...rt.templates.keys()], engine: rt.runtime.engine };
  };
