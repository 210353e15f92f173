// review/blob: one chunk of a full-file patch's new content, for the host applier to stream and verify.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const blob =
  (s: Pick<KernelServices, 'patches'>): Handler<'review/blob'> =>
  (params) => {
    const data = s.patches.readBlob(params.id, params.hash, params.offset, params.length);
    return { data: data.toString('base64'), eof: data.length < params.length };
  };
