// review/export: the patch set as a git-style diff (binary files as git binary patches).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const exportSet =
  (s: Pick<KernelServices, 'patches'>): Handler<'review/export'> =>
  (params) => ({ text: s.patches.exportGit(params.id) });
