// The kernel's task service, or a clear error when this kernel was built without one.
import { AirlockError } from '../../../../protocol/src/errors';
import type { TaskService } from '../../agent/task-service';
import type { KernelServices } from '../../services';

export function needTasks(s: KernelServices): TaskService {
  if (!s.tasks) throw new AirlockError('TASK_UNAVAILABLE', 'this kernel runs no agent tasks', 'restart the kernel (`airlock doctor`)');
  return s.tasks;
}
