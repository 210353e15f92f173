// Attack: a max_size rule must not allow a read whose size the adapter cannot know (it used to read unknown as 0).
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { toolPolicy } from '../../../kernel/src/agent/adapters';
import type { ToolPolicyRequest } from '../../../kernel/src/agent/interfaces';
import { createDefaultPolicyEngine } from '../../../core/src/policy';
import { TaskVolume } from '../../../kernel/src/agent/task-volume';
import type { OutputVolume } from '../../../kernel/src/patches/volumes';

describe('agent adapters: unknown sizes fail closed under max_size', () => {
  const ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-size-')));
  const engine = createDefaultPolicyEngine('strict', { workspace: ws });
  const read = (p: string): ToolPolicyRequest => ({
    kind: 'tool',
    taskId: 't',
    tool: 'fs.read',
    capabilities: ['fs.read'],
    input: {},
    paths: [p],
  });
  before(() => {
    fs.mkdirSync(path.join(ws, 'src'));
    fs.writeFileSync(path.join(ws, 'src/a.ts'), 'x');
    execFileSync('mkfifo', [path.join(ws, 'pipe')]);
  });
  after(() => {
    engine.dispose();
    fs.rmSync(ws, { recursive: true, force: true });
  });

  it('a regular file is judged by its size; a directory listing is 0', async () => {
    const p = toolPolicy(engine, { mode: 'strict', workspace: ws });
    assert.equal((await p.evaluate(read('src/a.ts'))).decision, 'allow');
    assert.equal((await p.evaluate({ ...read('src'), tool: 'fs.list', capabilities: ['fs.list'] })).decision, 'allow');
  });
  it('a FIFO, a missing file and a call without a workspace have no known size: denied', async () => {
    const p = toolPolicy(engine, { mode: 'strict', workspace: ws });
    for (const target of ['pipe', 'src/missing.ts']) {
      const d = await p.evaluate(read(target));
      assert.equal(d.decision, 'deny', `${target}: ${d.reason}`);
    }
    const blind = toolPolicy(engine, { mode: 'strict' });
    assert.equal((await blind.evaluate(read('src/a.ts'))).decision, 'deny');
  });
});

describe('agent adapters: a task judges sizes on its own view', () => {
  const ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-size-view-')));
  const out = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-size-out-')));
  const engine = createDefaultPolicyEngine('explore', { workspace: ws });
  const read = (p: string): ToolPolicyRequest => ({
    kind: 'tool',
    taskId: 't',
    tool: 'fs.read',
    capabilities: ['fs.read'],
    input: {},
    paths: [p],
  });
  before(() => {
    fs.mkdirSync(path.join(ws, 'src'));
    fs.writeFileSync(path.join(ws, 'src/a.ts'), 'x');
    fs.mkdirSync(path.join(out, 'upper', 'gen'), { recursive: true });
    fs.writeFileSync(path.join(out, 'upper', 'gen', 'out.txt'), 'built\n'); // a file the task's sandbox made
    fs.writeFileSync(path.join(out, 'upper', 'big.bin'), Buffer.alloc(0));
    fs.truncateSync(path.join(out, 'upper', 'big.bin'), 50 * 1024 * 1024); // over explore's 20 MiB read limit
  });
  after(() => {
    engine.dispose();
    fs.rmSync(ws, { recursive: true, force: true });
    fs.rmSync(out, { recursive: true, force: true });
  });

  it('a file only the sandbox wrote is readable; one over the limit in the view is not; workspace files still are', async () => {
    const vol = { id: 'v', volumeName: 'v', kind: 'overlay', dir: out, quotaBytes: 1 << 30, baselineBytes: 0 } as OutputVolume;
    const p = toolPolicy(engine, { mode: 'explore', workspace: ws, view: new TaskVolume(vol, ws, async () => {}) });
    assert.equal((await p.evaluate(read('gen/out.txt'))).decision, 'allow');
    assert.equal((await p.evaluate(read('src/a.ts'))).decision, 'allow');
    assert.equal((await p.evaluate(read('big.bin'))).decision, 'deny');
    // Without the view (the old adapter) the sandbox's file had no size and was denied.
    assert.equal((await toolPolicy(engine, { mode: 'explore', workspace: ws }).evaluate(read('gen/out.txt'))).decision, 'deny');
  });
});

describe('agent adapters: a symlink in the task view', () => {
  it('is judged by the size of what a read returns (its target text), so the tool can say "is a symlink"', async () => {
    const ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-size-link-')));
    const out = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-size-link-out-')));
    fs.mkdirSync(path.join(out, 'upper', 'race'), { recursive: true });
    fs.symlinkSync('/state/policy-token.key', path.join(out, 'upper', 'race', 'target.txt'));
    const engine = createDefaultPolicyEngine('explore', { workspace: ws });
    const vol = { id: 'v', volumeName: 'v', kind: 'overlay', dir: out, quotaBytes: 1 << 30, baselineBytes: 0 } as OutputVolume;
    const tv = new TaskVolume(vol, ws, async () => {});
    assert.equal(tv.sizeOf('race/target.txt'), '/state/policy-token.key'.length);
    const d = await toolPolicy(engine, { mode: 'explore', workspace: ws, view: tv }).evaluate({
      kind: 'tool',
      taskId: 't',
      tool: 'fs.read',
      capabilities: ['fs.read'],
      input: {},
      paths: ['race/target.txt'],
    });
    assert.equal(d.decision, 'allow', d.reason);
    engine.dispose();
    fs.rmSync(ws, { recursive: true, force: true });
    fs.rmSync(out, { recursive: true, force: true });
  });
});
