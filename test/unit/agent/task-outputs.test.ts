// A kernel in a container starts no task unless its output dirs are on a filesystem of their own (the outputs tmpfs).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TaskService } from '../../../kernel/src/agent/task-service';
import { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import { createRuntime } from '../../../kernel/src/runtime/detect';
import { loadTemplates } from '../../../core/src/templates';
import { inProcessKernel, type InProcessKernel } from '../kernel-harness';

describe('agent: task output dirs must be capped by a filesystem', () => {
  let k: InProcessKernel;
  beforeEach(async () => {
    k = await inProcessKernel({ 'a.txt': 'a\n' });
  });
  afterEach(() => k.dispose());

  /** The kernel's services with the given output dir, in a container, and a sandbox manager (never reached: no engine
   * call happens before the check, and the replay file does not exist). */
  const service = (outputsDir: string | undefined, inContainer = true) =>
    new TaskService(
      {
        ...k.services,
        config: { ...k.services.config, inContainer, outputsDir },
        runtime: new SandboxManager({ runtime: createRuntime('docker'), templates: loadTemplates() }),
      },
      {},
    );
  const start = (s: TaskService) => s.start({ prompt: 'x', replay: 'r.jsonl' });
  const uncapped = (e: { code?: string; message: string }) => e.code === 'TASK_OUTPUTS_UNCAPPED';

  it('refuses when AIRLOCK_OUTPUTS_DIR is unset or on the state volume', async () => {
    await assert.rejects(
      start(service(undefined)),
      (e: Error & { code?: string }) => uncapped(e) && /AIRLOCK_OUTPUTS_DIR unset/.test(e.message),
    );
    const onState = path.join(k.services.config.stateDir, 'outputs');
    fs.mkdirSync(onState, { recursive: true });
    await assert.rejects(
      start(service(onState)),
      (e: Error & { code?: string }) => uncapped(e) && /could fill the state volume/.test(e.message),
    );
    await assert.rejects(start(service(path.join(k.services.config.stateDir, 'missing'))), uncapped);
  });

  it('goes past the check with a filesystem of its own (a tmpfs), and outside a container', async () => {
    const shm = fs.mkdtempSync('/dev/shm/airlock-outputs-');
    try {
      await assert.rejects(start(service(shm)), (e: Error & { code?: string }) => !uncapped(e));
      await assert.rejects(start(service(undefined, false)), (e: Error & { code?: string }) => !uncapped(e));
    } finally {
      fs.rmSync(shm, { recursive: true, force: true });
    }
  });
});
