// sandbox/exec: runs one command in a sandbox through its exec agent; OOM kills and timeouts come back in the result.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { needRuntime } from './need-runtime';

export const exec = (s: KernelServices): Handler<'sandbox/exec'> => ({ id, via, ...req }, ctx) =>
  needRuntime(s).exec(id, req, { via, signal: ctx.signal });
