// Shared by the tasks/* handlers: the scheduler service, or a clear error when this kernel runs without one.
import { AirlockError } from '../../../../protocol/src/errors';
import type { Scheduler } from '../../scheduler/scheduler';
import type { KernelServices } from '../../services';

export function needScheduler(s: KernelServices): Scheduler {
  if (!s.scheduler) throw new AirlockError('TASKS_UNAVAILABLE', 'this kernel has no task scheduler', 'update the kernel image');
  return s.scheduler;
}
