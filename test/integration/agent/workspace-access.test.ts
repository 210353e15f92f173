// A task's first command says which top-level entries the sandbox user cannot read (real Docker sandbox, overlay volume).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import { TaskSandbox } from '../../../kernel/src/agent/task-sandbox';
import { createOutputVolume, type OutputVolume, removeOutputVolume } from '../../../kernel/src/patches/volumes';
import { createRuntime } from '../../../kernel/src/runtime/detect';
import { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import { loadTemplates } from '../../../core/src/templates';
import { ensureSandboxImages } from '../../../templates/builder/sandbox-images';
import { rm, tempDir, writeTree } from '../../unit/patches/helpers';

describe('task sandbox: workspace access on docker', function () {
  this.timeout(180_000);
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  let m: SandboxManager;
  let base: string;
  let vol: OutputVolume | undefined;

  before(async () => {
    await ensureSandboxImages({ engine: 'docker', socketPath: '/var/run/docker.sock' });
    m = new SandboxManager({ runtime: createRuntime('docker'), templates: loadTemplates(undefined, '1000:1000') }); // a template naming its own user
  });
  after(async () => {
    if (vol) await removeOutputVolume(vol, docker);
    await m?.shutdown();
    if (base) rm(base);
  });

  it('names the unreadable entries once, with the first command; readable ones work as usual', async () => {
    base = tempDir('airlock-access-');
    const ws = path.join(base, 'ws');
    writeTree(ws, { 'README.md': 'hello\n', 'private/key.txt': 'secret\n' }, 0o644);
    fs.chmodSync(ws, 0o755);
    fs.chmodSync(path.join(ws, 'private'), 0o700); // owned by the test's uid (not the sandbox's 1000)
    assert.notEqual(fs.statSync(ws).uid, 1000, 'the test must run as another uid than the sandbox user');
    vol = await createOutputVolume(`acc${Date.now().toString(36)}`, { engine: docker, outputRoot: path.join(base, 'out'), workspace: ws });
    const sb = new TaskSandbox({ runtime: m, volumeName: vol.volumeName, workspace: ws });
    const signal = new AbortController().signal;
    try {
      const first = await sb.exec({ argv: ['sh', '-c', 'cat README.md; cat private/key.txt'] }, signal);
      assert.match(first.stdout, /hello/);
      assert.doesNotMatch(first.stdout, /secret/);
      assert.match(first.stderr, /Permission denied/);
      assert.match(first.stderr, /\[airlock: the sandbox user 1000:1000 cannot read private in the workspace/);
      const second = await sb.exec({ argv: ['cat', 'README.md'] }, signal);
      assert.equal(second.stdout, 'hello\n');
      assert.doesNotMatch(second.stderr, /cannot read/);
    } finally {
      await sb.release('test done');
    }
  });
});
