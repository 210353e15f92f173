// sandbox/pause: freezes a sandbox with the engine's pause (a person's pause: commands sent meanwhile are refused).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { needRuntime } from './need-runtime';

export const pause = (s: KernelServices): Handler<'sandbox/pause'> => ({ id }) => needRuntime(s).pause(id, 'request');
