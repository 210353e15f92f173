// The kernel reads a task's writable tree only after the sandbox that can write it is gone (TaskVolume.settle).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TaskSandbox } from '../../../kernel/src/agent/task-sandbox';
import { overlayAware, TaskVolume } from '../../../kernel/src/agent/task-volume';
import { fsExists, fsRead, searchGrep } from '../../../kernel/src/agent/tools/native';
import type { ToolContext } from '../../../kernel/src/agent/tools/types';
import type { OutputVolume } from '../../../kernel/src/patches/volumes';
import type { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import { rm, tempDir } from '../patches/helpers';
import { AirlockError } from '../../../protocol/src/errors';

describe('task view reads wait for the task sandbox to be destroyed', () => {
  let ws: string, out: string, upper: string;
  let calls: string[];
  let tv: TaskVolume;
  const signal = new AbortController().signal;

  beforeEach(() => {
    ws = tempDir('airlock-q-ws-');
    out = tempDir('airlock-q-out-');
    upper = path.join(out, 'upper');
    fs.mkdirSync(path.join(ws, 'src'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'src/a.ts'), 'old\n');
    fs.mkdirSync(upper);
    calls = [];
    // The "sandbox" finishes a last write as it is destroyed: a read that ran before the destroy would not see it.
    tv = new TaskVolume(
      { id: 'q', volumeName: 'q', kind: 'overlay', dir: out, quotaBytes: 1 << 30, baselineBytes: 0 } as OutputVolume,
      ws,
      async (_s, why) => {
        calls.push(why);
        fs.mkdirSync(path.join(upper, 'src'), { recursive: true });
        fs.writeFileSync(path.join(upper, 'src/late.ts'), 'LATE written by a background process\n');
      },
    );
  });
  afterEach(() => rm(ws, out));

  it('an empty upper dir is the read-only workspace: nothing is stopped', async () => {
    const ctx: ToolContext = { workspace: ws, taskId: 't', signal, output: tv };
    assert.match((await overlayAware(fsRead, tv).run({ path: 'src/a.ts' }, ctx)).content, /old/);
    assert.equal(await tv.read('src/a.ts'), 'old\n');
    assert.equal(await tv.view(signal), ws);
    assert.deepEqual(calls, []);
  });

  it('once the task changed something, fs.read, fs.exists, grep and TaskVolume.read stop the sandbox first', async () => {
    fs.writeFileSync(path.join(upper, 'new.ts'), 'NEW\n');
    const ctx: ToolContext = { workspace: ws, taskId: 't', signal, output: tv };
    assert.match((await overlayAware(fsRead, tv).run({ path: 'src/late.ts' }, ctx)).content, /LATE/);
    assert.deepEqual(calls, ['the kernel reads the output volume']);
    assert.equal(JSON.parse((await overlayAware(fsExists, tv).run({ path: 'src/late.ts' }, ctx)).content).type, 'file');
    fs.rmSync(path.join(upper, 'src'), { recursive: true });
    assert.match((await searchGrep.run({ pattern: 'LATE', maxResults: 10 }, ctx)).content, /^src\/late\.ts:1:LATE/);
    fs.rmSync(path.join(upper, 'src'), { recursive: true });
    assert.equal(await tv.read('src/late.ts'), 'LATE written by a background process\n');
    assert.equal(calls.length, 4);
  });

  it("a snapshot volume (the sandbox's own bind mount) is always read after the stop", async () => {
    const snap = path.join(out, 'snapshot');
    fs.mkdirSync(path.join(snap, 'src'), { recursive: true });
    const sv = new TaskVolume(
      { id: 's', volumeName: 's', kind: 'snapshot', dir: out, quotaBytes: 1 << 30, baselineBytes: 0 } as OutputVolume,
      ws,
      async () => {
        calls.push('stop');
        fs.writeFileSync(path.join(snap, 'src/b.ts'), 'B\n');
      },
    );
    assert.equal(await sv.view(signal), snap);
    assert.equal(await sv.read('src/b.ts'), 'B\n');
    assert.deepEqual(calls, ['stop', 'stop']);
  });

  it('concurrent releases (parallel native reads) all wait until the sandbox is really destroyed', async () => {
    let destroyed = false;
    let finishDestroy!: () => void;
    const runtime = {
      templates: new Map(),
      create: async () => ({ id: 'sb1' }),
      exec: async () => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false }),
      destroy: () =>
        new Promise<void>((r) => {
          finishDestroy = () => {
            destroyed = true;
            r();
          };
        }),
      release: async () => undefined,
    } as unknown as SandboxManager;
    const sb = new TaskSandbox({ runtime, volumeName: 'v' });
    await sb.exec({ argv: ['true'] }, signal);
    const seen: boolean[] = [];
    const first = sb.release('read 1').then(() => seen.push(destroyed));
    const second = sb.release('read 2').then(() => seen.push(destroyed));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(seen, [], 'a release returned while the sandbox was still being destroyed');
    finishDestroy();
    await Promise.all([first, second]);
    assert.deepEqual(seen, [true, true]);
  });

  it('a sandbox that could not be removed fails the read (fail closed), for every waiting caller', async () => {
    const runtime = {
      templates: new Map(),
      create: async () => ({ id: 'sb1' }),
      exec: async () => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false }),
      destroy: async () => {
        throw new AirlockError('SANDBOX_REMOVE_FAILED', 'sandbox sb1 could not be removed: engine busy');
      },
      release: async () => undefined,
    } as unknown as SandboxManager;
    const sb = new TaskSandbox({ runtime, volumeName: 'v' });
    await sb.exec({ argv: ['true'] }, signal);
    const removeFailed = (e: unknown) => (e as { code?: string }).code === 'SANDBOX_REMOVE_FAILED';
    await Promise.all([assert.rejects(sb.release('read 1'), removeFailed), assert.rejects(sb.release('read 2'), removeFailed)]);
  });
});
