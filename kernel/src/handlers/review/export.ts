// review/export: the patch set as a git-style diff (binary files as git binary patches).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { patches } from './service';

export const exportSet = (s: KernelServices): Handler<'review/export'> => (params) => ({ text: patches(s).exportGit(params.id) });
