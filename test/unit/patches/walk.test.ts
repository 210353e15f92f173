// Output-tree walks run on a worker thread with an entry limit: 150,000 sandbox files never stall the event loop.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { changedFiles } from '../../../kernel/src/agent/task-changes';
import { TaskVolume } from '../../../kernel/src/agent/task-volume';
import { generatePatchSet } from '../../../kernel/src/patches/generate';
import { scanUpper } from '../../../kernel/src/patches/scan';
import { PatchService } from '../../../kernel/src/patches/service';
import { checkQuota, type OutputVolume } from '../../../kernel/src/patches/volumes';
import { DEFAULT_MAX_WALK_ENTRIES, walkEntries } from '../../../kernel/src/patches/walk';
import { rm, tempDir, writeTree } from './helpers';

/** Runs fn while a 5 ms timer keeps the main thread busy-checked; returns fn's outcome and the worst loop delay (ms). */
async function measured<T>(fn: () => Promise<T>): Promise<{ result: PromiseSettledResult<T>; maxMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  let last = performance.now();
  let worstGap = 0;
  const t = setInterval(() => {
    const now = performance.now();
    worstGap = Math.max(worstGap, now - last);
    last = now;
  }, 5);
  h.enable();
  const [result] = await Promise.allSettled([fn()]);
  h.disable();
  clearInterval(t);
  return { result, maxMs: Math.max(h.max / 1e6, worstGap) };
}

function manyFiles(dir: string, n: number, perDir = 5000): void {
  for (let i = 0; i < n; i++) {
    const d = path.join(dir, `d${Math.floor(i / perDir)}`);
    if (i % perDir === 0) fs.mkdirSync(d, { recursive: true });
    fs.closeSync(fs.openSync(path.join(d, `f${i}`), 'w'));
  }
}

describe('patches: output-tree walks off the main thread', function () {
  this.timeout(300_000);
  // The loop-delay bound is a wall-clock measurement: on a loaded 2-core machine the OS alone can deschedule the main
  // thread for ~100 ms once. One retry absorbs that; a walk on the main thread (3-4 s stalls) fails both runs.
  this.retries(1);
  let base: string;
  let ws: string;
  let vol: OutputVolume;
  let upper: string;

  before(() => {
    base = tempDir('airlock-walk-');
    ws = path.join(base, 'ws');
    writeTree(ws, { 'a.txt': 'a\n' });
    vol = {
      id: 'walk',
      volumeName: 'airlock-out-walk',
      kind: 'overlay',
      dir: path.join(base, 'out'),
      quotaBytes: 1024 ** 3,
      baselineBytes: 0,
    };
    upper = path.join(vol.dir, 'upper');
    manyFiles(upper, 150_000);
  });
  after(() => rm(base));

  it('keeps the event loop under 100 ms while changed-files, quota and patch walks meet 150,000 files, and reports the limit', async () => {
    const tv = new TaskVolume(vol, ws, async () => undefined);
    const svc = new PatchService({ stateDir: path.join(base, 'state'), workspace: ws });
    const tooMany = (e: unknown, what: string) =>
      (e as { code?: string }).code === 'PATCH_TOO_MANY_ENTRIES' && new RegExp(`more than ${what}`).test((e as Error).message);
    const { result, maxMs } = await measured(() =>
      Promise.allSettled([changedFiles(tv, ws), svc.generate({ type: 'overlay', upper }), checkQuota(vol)]),
    );
    assert.equal(result.status, 'fulfilled');
    const [changed, gen, quota] = (result as PromiseFulfilledResult<PromiseSettledResult<unknown>[]>).value;
    // Workflow evidence is capped at 10,000 paths: a longer list is refused, never truncated.
    assert.ok(
      changed.status === 'rejected' && tooMany(changed.reason, '10000 changed paths'),
      `changed-files walk: ${JSON.stringify(changed)}`,
    );
    assert.ok(
      gen.status === 'rejected' && tooMany(gen.reason, `${DEFAULT_MAX_WALK_ENTRIES} entries`),
      `patch generation: ${JSON.stringify(gen)}`,
    );
    // The quota poll fails closed: a tree it cannot measure counts as full.
    assert.ok(
      quota.status === 'rejected' &&
        (quota.reason as { code?: string }).code === 'PATCH_VOLUME_FULL' &&
        /more than/.test(quota.reason.message),
      JSON.stringify(quota),
    );
    assert.ok(maxMs < 100, `the event loop stalled for ${maxMs.toFixed(1)} ms`);
  });

  it('keeps the event loop under 100 ms while a 40,000-file upper dir is scanned and its patch set generated', async () => {
    const small = path.join(base, 'small');
    manyFiles(small, 40_000);
    const { result, maxMs } = await measured(async () =>
      generatePatchSet({ workspace: ws, scan: await scanUpper(small), source: 'overlay' }),
    );
    assert.equal(result.status, 'fulfilled', JSON.stringify(result));
    assert.equal((result as PromiseFulfilledResult<{ files: unknown[] }>).value.files.length, 40_000);
    assert.ok(maxMs < 100, `the event loop stalled for ${maxMs.toFixed(1)} ms`);
  });

  it('walks in byte order, parents first, and honours a custom entry limit', async () => {
    const t = path.join(base, 'order');
    writeTree(t, { 'b/x': '', a: '', B: '' });
    assert.deepEqual(
      (await walkEntries(t, { xattrs: true })).map((e) => `${e.kind} ${e.rel}`),
      ['file B', 'file a', 'dir b', 'file b/x'],
    );
    await assert.rejects(
      walkEntries(t, { xattrs: false, maxEntries: 3 }),
      (e: Error & { code?: string }) => e.code === 'PATCH_TOO_MANY_ENTRIES',
    );
  });

  it('the quota poll of a live tree: files renamed or removed while it walks are gone, not "could not be measured"', async () => {
    const live = path.join(base, 'live');
    const lv: OutputVolume = {
      id: 'live',
      volumeName: 'airlock-out-live',
      kind: 'overlay',
      dir: live,
      quotaBytes: 1024 ** 3,
      baselineBytes: 0,
    };
    const up = path.join(live, 'upper');
    manyFiles(up, 3000, 300);
    // A build that writes temp files and renames them into place, and removes folders, as the poll runs.
    const churn = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs'),p=require('path');const u=${JSON.stringify(up)};const end=Date.now()+4000;
      let i=0;while(Date.now()<end){const d=p.join(u,'d'+(i%10));try{fs.writeFileSync(p.join(d,'t.tmp'),'x');fs.renameSync(p.join(d,'t.tmp'),p.join(d,'f'+(i%10)*300));
      const g=p.join(u,'gone'+(i%3));fs.mkdirSync(g,{recursive:true});fs.writeFileSync(p.join(g,'a'),'a');fs.rmSync(g,{recursive:true,force:true});}catch{}i++}`,
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise((r) => churn.on('exit', r));
    try {
      const failures: string[] = [];
      for (let i = 0; i < 40; i++) await checkQuota(lv).catch((e: Error) => failures.push(e.message));
      assert.deepEqual(failures, []);
    } finally {
      churn.kill();
      await exited;
    }
  });
});
