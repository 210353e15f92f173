// audit/stats: entry counts, file sizes, free disk, storage warnings and the last verification result.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { requireAuditLog } from './require';

export const stats = (s: KernelServices): Handler<'audit/stats'> => () => requireAuditLog(s).stats();
