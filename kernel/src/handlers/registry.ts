// The handler registry: one file per RPC method, gathered here by domain.
import type { HandlerMap } from '../../../protocol/src/rpc-server';
import type { KernelServices } from '../services';
import { info } from './kernel/info';
import { ping } from './kernel/ping';
import { read } from './fs/read';
import { evaluate as policyEvaluate } from './policy/evaluate';
import { check as policyCheck } from './policy/check';

export function createHandlers(s: KernelServices): HandlerMap {
  return {
    'kernel/ping': ping(),
    'kernel/info': info(s),
    'fs/read': read(s),
    'policy/evaluate': policyEvaluate(s),
    'policy/check': policyCheck(s),
  };
}
