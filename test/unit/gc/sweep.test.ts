// The start-up sweep runs at most once a day, stamps only a finished pass, and never trusts a forged workspace record.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { readWorkspaceRecord, recordWorkspace, stateFolderId } from '../../../core/src/gc/record';
import { startupSweep, SWEEP_EVERY_MS } from '../../../core/src/gc/sweep';
import { planGc } from '../../../core/src/gc/plan';

function fakeDocker(fail = false): { docker: Docker; calls: number } {
  const f = { calls: 0, docker: undefined as unknown as Docker };
  const list = async <T>(v: T) => {
    f.calls++;
    if (fail) throw new Error('engine gone');
    return v;
  };
  f.docker = { listImages: () => list([]), listContainers: () => list([]), listVolumes: () => list({ Volumes: [] }) } as unknown as Docker;
  return f;
}

describe('gc start-up sweep and workspace records', () => {
  it('sweeps once a day, stamped only when a pass finished', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-sweep-'));
    const o = { stateBase: base, installation: 'i', local: true };
    await assert.rejects(startupSweep(fakeDocker(true).docker, o));
    assert.equal(fs.existsSync(path.join(base, 'gc.stamp')), false, 'a failed pass is not stamped');
    const f = fakeDocker();
    const now = Date.now();
    assert.deepEqual(await startupSweep(f.docker, o, now), { removed: [], failed: [] });
    assert.equal(await startupSweep(f.docker, o, now + 1000), undefined);
    assert.equal(f.calls, 3, 'the second start made no engine call');
    const stamp = path.join(base, 'gc.stamp');
    const old = new Date(Date.now() - SWEEP_EVERY_MS - 1000);
    fs.utimesSync(stamp, old, old);
    assert.ok(await startupSweep(f.docker, o));
  });

  it('a state folder records its workspace; a record naming another folder is not trusted', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-rec-'));
    const root = path.join(base, `ws-${stateFolderId('/projects/a')}`);
    recordWorkspace(root, '/projects/a');
    assert.equal(readWorkspaceRecord(root)?.path, '/projects/a');
    fs.writeFileSync(path.join(root, 'workspace.json'), JSON.stringify({ path: '/projects/b', recordedAt: 1 }));
    assert.equal(readWorkspaceRecord(root), undefined);
  });

  it("keeps recently built images for the start-up sweep, and scratch volumes of another installation's stopped kernel", async () => {
    const now = Date.now();
    const img = (id: string, inst: string, ageH: number) => ({
      Id: id,
      Created: Math.floor((now - ageH * 3_600_000) / 1000),
      Size: 1,
      RepoTags: [`t/${id}:1`],
      Labels: { 'airlock.owner': 'airlock', 'airlock.installation': inst, 'airlock.image-for': 'r' },
    });
    const images = [img('new', 'me', 1), img('recent', 'me', 2), img('old', 'me', 48), img('theirs', 'them', 48)];
    const containers = [
      {
        Id: 'k2',
        Names: ['/airlock-kernel-theirs'],
        State: 'exited',
        ImageID: 'theirs',
        Labels: { 'airlock.owner': 'airlock', 'airlock.role': 'kernel', 'airlock.workspace': '/' },
      },
    ];
    const vol = (n: string, holder: string) => ({
      Name: n,
      Labels: { 'airlock.owner': 'airlock', 'airlock.role': 'scratch', 'airlock.holder': `container:${holder}` },
    });
    const docker = {
      listImages: async () => images,
      listContainers: async () => containers,
      listVolumes: async () => ({ Volumes: [vol('v-theirs', 'airlock-kernel-theirs'), vol('v-gone', 'airlock-kernel-gone')] }),
    } as unknown as Docker;
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-plan-'));
    const o = { stateBase: base, installation: 'me', local: true, now };
    const names = async (extra: object) => (await planGc(docker, { ...o, ...extra })).remove.map((r) => r.id).sort();
    assert.deepEqual(await names({}), ['old', 'recent', 'v-gone']);
    assert.deepEqual(await names({ imageGraceMs: 24 * 3_600_000 }), ['old', 'v-gone']);
    assert.deepEqual(await names({ allVersions: true }), ['new', 'old', 'recent', 'v-gone']);
  });
});
