// sandbox/resume: unfreezes a paused sandbox; a command that was in flight carries on.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { needRuntime } from './need-runtime';

export const resume = (s: KernelServices): Handler<'sandbox/resume'> => ({ id }) => needRuntime(s).resume(id);
