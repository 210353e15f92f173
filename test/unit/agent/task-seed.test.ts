// A follow-up's seed (task-seed.ts): the newest set still proposed, less what was rejected or merged; a turn that
// leaves its seed as it was changed nothing.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AuditLog } from '../../../core/src/audit/log';
import { patchAuditSink } from '../../../kernel/src/patches/audit-sink';
import { PatchService } from '../../../kernel/src/patches/service';
import type { OutputVolume } from '../../../kernel/src/patches/volumes';
import { applySeed, proposalSeed, seedOverlay, volumeDigest } from '../../../kernel/src/agent/task-seed';
import { tempDir, writeTree } from '../patches/helpers';

const readTree = (dir: string): Record<string, string> =>
  Object.fromEntries(
    (fs.readdirSync(dir, { recursive: true }) as string[])
      .filter((r) => fs.statSync(path.join(dir, r)).isFile())
      .map((r) => [r, fs.readFileSync(path.join(dir, r), 'utf8')]),
  );

describe('a follow-up starts from the open proposal (task-seed)', () => {
  let base: string;
  let ws: string;
  let log: AuditLog;
  let svc: PatchService;
  const signal = new AbortController().signal;
  const turn = async (taskId: string, files: Record<string, string>) => {
    const up = fs.mkdtempSync(path.join(base, 'up-'));
    writeTree(up, files);
    return svc.generate({ type: 'overlay', upper: up }, { taskId });
  };
  /** A fresh overlay-kind volume dir (the seed writes its upper dir; no engine is needed for that). */
  const volume = (id: string): OutputVolume => {
    const dir = path.join(base, 'out', id);
    fs.mkdirSync(path.join(dir, 'upper'), { recursive: true });
    return { id, volumeName: `airlock-out-${id}`, kind: 'overlay', dir, quotaBytes: 1 << 30, baselineBytes: 0 };
  };

  beforeEach(() => {
    base = tempDir('airlock-seed-');
    ws = path.join(base, 'ws');
    writeTree(ws, { 'a.txt': 'one\n', 'b.txt': 'two\n' });
    log = AuditLog.open({ dbPath: path.join(base, 'audit.db'), keyPath: path.join(base, 'keys', 'audit.key'), writer: 'inline' });
    svc = new PatchService({ stateDir: path.join(base, 'state'), workspace: ws, audit: patchAuditSink(() => log) });
  });
  afterEach(() => {
    log.dispose();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('seeds the newest set not wholly rejected, without the files the person rejected; unknown ids are skipped', async () => {
    const s1 = await turn('task_one', { 'a.txt': 'ONE\n', 'new.txt': 'n\n' });
    const s2 = await turn('task_two', { 'a.txt': 'ONE\n', 'new.txt': 'n\n', 'b.txt': 'TWO\n' });
    await svc.decide({ setId: s2.id, items: [{ path: 'new.txt', decision: 'reject' }] });
    const chosen = await proposalSeed(svc, [s1.id, s2.id, 'ps_gone_0001'], signal);
    assert.deepEqual(chosen.unknown, ['ps_gone_0001']);
    assert.equal(chosen.seed?.setId, s2.id);
    const vol = volume('t3');
    await applySeed(svc, ws, vol, chosen.seed!, signal);
    assert.deepEqual(readTree(path.join(vol.dir, 'upper')), { 'a.txt': 'ONE\n', 'b.txt': 'TWO\n' });
    // A rewind rejects the newer set wholly: the seed goes back to the set before it.
    await svc.decide({ setId: s2.id, items: s2.files.map((f) => ({ path: f.path, decision: 'reject' as const })) });
    const back = await proposalSeed(svc, [s1.id, s2.id], signal);
    assert.equal(back.seed?.setId, s1.id);
    assert.deepEqual(back.seed!.plan.ops.map((o) => o.path).sort(), ['a.txt', 'new.txt']);
    assert.deepEqual(await proposalSeed(svc, [], signal), { unknown: [] });
  });

  it('leaves out what is already merged into the workspace (the workspace has it; a later edit there is kept)', async () => {
    const s1 = await turn('task_one', { 'a.txt': 'ONE\n', 'b.txt': 'TWO\n' });
    await svc.decide({ setId: s1.id, items: [{ path: 'a.txt', decision: 'accept' }] });
    fs.writeFileSync(path.join(ws, 'a.txt'), 'ONE\n');
    await svc.merged(s1.id, { mergeId: 'm1', outcome: 'merged', paths: ['a.txt'], completePaths: ['a.txt'] });
    fs.writeFileSync(path.join(ws, 'a.txt'), 'ONE, edited by the person\n');
    const { seed } = await proposalSeed(svc, [s1.id], signal);
    assert.deepEqual(
      seed!.plan.ops.map((o) => o.path),
      ['b.txt'],
    );
    assert.deepEqual(seed!.plan.conflicts, []);
  });

  it("a turn that keeps its seed's tree changed nothing; a write changes the digest; a delete needs a snapshot", async () => {
    const s1 = await turn('task_one', { 'a.txt': 'ONE\n' });
    const { seed } = await proposalSeed(svc, [s1.id], signal);
    const vol = volume('t2');
    const seeded = await applySeed(svc, ws, vol, seed!, signal);
    assert.equal(await volumeDigest(vol, signal), seeded);
    fs.writeFileSync(path.join(vol.dir, 'upper', 'a.txt'), 'ONE!\n');
    assert.notEqual(await volumeDigest(vol, signal), seeded);
    assert.equal(seedOverlay(seed), undefined);
    assert.equal(seedOverlay({ setId: s1.id, plan: { ...seed!.plan, ops: [{ type: 'delete', path: 'b.txt', expect: 'x' }] } }), 'off');
  });
});
