// gc collects what an installation whose folder is gone left behind (images, stopped kernels, sandboxes, volumes), but
// never what runs, is in use, is claimed by a living installation, or is judged from another machine's or user's labels.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { type GcOptions, planGc } from '../../../core/src/gc/plan';
import { installationOf, readInstallations, recordInstallation } from '../../../core/src/gc/installations';
import { type Assets, installationIdOf, installationLabels, resolveAssets } from '../../../protocol/src/node/assets';

const UID = 1000;
const now = Date.now();
const made: string[] = [];
const tmp = (p: string) => {
  made.push(fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), p))));
  return made[made.length - 1];
};
after(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** The labels an image built by the installation at `root` for `uid` carries. */
const instLabels = (root: string, uid = UID) => ({
  'airlock.installation': installationIdOf(root, uid),
  'airlock.installation-root': root,
  'airlock.installation-uid': String(uid),
});

function world(root: string, extra: { images?: object[]; containers?: object[]; volumes?: object[] } = {}) {
  const img = (id: string, labels: Record<string, string>, ageH: number) => ({
    Id: id,
    Created: Math.floor((now - ageH * 3_600_000) / 1000),
    Size: 7,
    RepoTags: [`localhost/airlock/kernel:${id}`],
    Labels: { 'airlock.owner': 'airlock', 'airlock.role': 'kernel-image', ...labels },
  });
  const images = [img('gone-old', instLabels(root), 48), img('live-new', { 'airlock.installation': 'me' }, 40), ...(extra.images ?? [])];
  const kernel = {
    Id: 'k-gone',
    Names: ['/airlock-kernel-0123456789ab'],
    State: 'exited',
    ImageID: 'gone-old',
    Labels: { 'airlock.owner': 'airlock', 'airlock.role': 'kernel', 'airlock.workspace': '/', ...instLabels(root) },
    Mounts: [{ Name: 'airlock-outputs-0123456789ab' }],
  };
  const sandbox = {
    Id: 'sbx',
    Names: ['/airlock-code-executor-1'],
    State: 'running',
    ImageID: 'live-sandbox', // the newest sandbox image on the engine, another living installation's
    Labels: { 'airlock.owner': 'airlock', 'airlock.holder': 'container:airlock-kernel-0123456789ab', 'airlock.installation': 'them' },
  };
  const containers = [kernel, sandbox, ...(extra.containers ?? [])];
  const vol = (name: string, labels: Record<string, string>, ageH = 48) => ({
    Name: name,
    CreatedAt: new Date(now - ageH * 3_600_000).toISOString(),
    Labels: { 'airlock.owner': 'airlock', ...labels },
  });
  const volumes = [
    vol('airlock-outputs-0123456789ab', { 'airlock.role': 'outputs', 'airlock.workspace': '/' }),
    vol('airlock-vol-1', { 'airlock.role': 'scratch', 'airlock.holder': 'container:airlock-kernel-0123456789ab' }),
    ...(extra.volumes ?? []),
  ];
  return {
    listImages: async () => images,
    listContainers: async () => containers,
    listVolumes: async () => ({ Volumes: volumes }),
  } as unknown as Docker;
}

describe('gc: leftovers of installations whose folder is gone', () => {
  let root: string;
  let o: GcOptions;
  beforeEach(() => {
    root = tmp('airlock-inst-');
    o = { stateBase: tmp('airlock-gcstate-'), installation: 'me', local: true, now, uid: UID };
  });
  const plan = async (docker: Docker, extra: Partial<GcOptions> = {}) => {
    const p = await planGc(docker, { ...o, ...extra });
    return { ids: p.remove.map((r) => r.id).sort(), p };
  };
  const ORPHANS = ['airlock-outputs-0123456789ab', 'airlock-vol-1', 'gone-old', 'k-gone', 'sbx'];

  it('removes its unused image, stopped kernel, sandboxes and volumes, saying why; nothing while the folder exists', async () => {
    assert.deepEqual((await plan(world(root))).ids, [], 'the installation exists: nothing of it is touched');
    fs.rmSync(root, { recursive: true });
    const { ids, p } = await plan(world(root));
    assert.deepEqual(ids, ORPHANS);
    const why = (id: string) => p.remove.find((r) => r.id === id)!.reason;
    assert.equal(why('gone-old'), `its installation ${root} no longer exists`);
    assert.match(why('k-gone'), new RegExp(`a stopped kernel: its installation ${root} no longer exists`));
    assert.match(why('sbx'), /its kernel \(airlock-kernel-0123456789ab\) is not running and its installation .* no longer exists/);
    assert.equal(p.remove.find((r) => r.id === 'sbx')!.force, true, 'a sandbox running for no kernel is stopped');
    assert.match(why('airlock-vol-1'), /no longer exists/);
    assert.equal(why('airlock-outputs-0123456789ab'), 'its kernel (airlock-kernel-0123456789ab) is removed too');
  });

  it('keeps what runs or is in use, the newest of its kind, recent images; never on a remote engine', async () => {
    fs.rmSync(root, { recursive: true });
    const running = world(root, {
      containers: [{ Id: 'k2', Names: ['/airlock-kernel-aaaaaaaaaaaa'], State: 'running', ImageID: 'gone-old', Labels: {} }],
    });
    const r = await plan(running);
    assert.ok(!r.ids.includes('gone-old'));
    assert.match(r.p.kept.find((k) => k.id === 'gone-old')!.reason, /no longer exists, but a container uses it/);
    const runningKernel = world(root, {
      containers: [
        {
          Id: 'k3',
          Names: ['/airlock-kernel-bbbbbbbbbbbb'],
          State: 'running',
          ImageID: 'gone-old',
          Labels: { 'airlock.owner': 'airlock', 'airlock.role': 'kernel', ...instLabels(root) },
        },
      ],
    });
    assert.ok(!(await plan(runningKernel)).ids.includes('k3'), 'a running kernel of a gone installation is left running');
    // Only one kernel image on the engine: kernels pick the newest, so it stays.
    const alone = world(root);
    const imgs = await alone.listImages();
    (alone as unknown as { listImages: () => Promise<unknown> }).listImages = async () => imgs.filter((i) => i.Id === 'gone-old');
    const a = await plan(alone);
    assert.ok(!a.ids.includes('gone-old'));
    assert.match(a.p.kept.find((k) => k.id === 'gone-old')!.reason, /newest of its kind/);
    assert.ok(!(await plan(world(root), { imageGraceMs: 72 * 3_600_000 })).ids.includes('gone-old'), 'built recently');
    assert.deepEqual((await plan(world(root), { local: false })).ids, [], 'a remote engine: its labels name another machine');
  });

  it("judges only its own uid's folders, unless root; a label whose folder does not hash to its id is not trusted", async () => {
    fs.rmSync(root, { recursive: true });
    assert.deepEqual((await plan(world(root), { uid: 1001 })).ids, [], "another user's folder may only look gone");
    assert.deepEqual((await plan(world(root), { uid: 0 })).ids, ORPHANS, 'root can tell');
    const forged = world(root, {
      images: [
        {
          Id: 'forged',
          Created: 1,
          RepoTags: ['x:1'],
          Labels: { 'airlock.role': 'kernel-image', ...instLabels(root), 'airlock.installation': 'someone-else' },
        },
      ],
    });
    assert.ok(!(await plan(forged)).ids.includes('forged'));
  });

  it('keeps an image a living installation records using (identical checkouts share images), and its kernel', async () => {
    fs.rmSync(root, { recursive: true });
    const b = tmp('airlock-inst-b-');
    const assetsB = { ...resolveAssets(), root: b } as Assets;
    recordInstallation(o.stateBase, ['airlock/kernel:gone-old'], assetsB, UID, now);
    const { ids, p } = await plan(world(root));
    assert.deepEqual(ids, [], 'claimed by B: the image, its kernel and what hangs on it stay');
    assert.equal(p.kept.find((k) => k.id === 'gone-old')!.reason, `its installation ${root} no longer exists, but the one at ${b} uses it`);
    // B moved on to another image: the claim is gone, and so is the image.
    recordInstallation(o.stateBase, ['localhost/airlock/kernel:live-new'], assetsB, UID, now);
    assert.deepEqual((await plan(world(root))).ids, ORPHANS);
    // B deleted too: its record goes with the rest.
    fs.rmSync(b, { recursive: true });
    const file = path.join(o.stateBase, 'installations', `${installationIdOf(b, UID)}.json`);
    assert.deepEqual((await plan(world(root))).ids, [...ORPHANS, file].sort());
    assert.equal(readInstallations(o.stateBase)[0].state, 'gone');
  });

  it('says which images it cannot judge (made before images recorded their folder)', async () => {
    const old = world(root, {
      images: [
        { Id: 'old-theirs', Created: 1, RepoTags: ['t:1'], Labels: { 'airlock.role': 'kernel-image', 'airlock.installation': 'x' } },
      ],
    });
    const { ids, p } = await plan(old);
    assert.ok(!ids.includes('old-theirs'));
    assert.match(p.kept.find((k) => k.id === 'old-theirs')!.reason, /older version: it does not record its folder/);
  });

  it('removes an outputs volume no kernel container is left to use, once older than the grace', async () => {
    const extra = (ageH: number) => ({
      volumes: [
        {
          Name: 'airlock-outputs-fedcba987654',
          CreatedAt: new Date(now - ageH * 3_600_000).toISOString(),
          Labels: { 'airlock.owner': 'airlock', 'airlock.role': 'outputs', 'airlock.workspace': '/' },
        },
      ],
    });
    const old = await plan(world(root, extra(2)));
    assert.deepEqual(old.ids, ['airlock-outputs-fedcba987654']);
    assert.match(old.p.remove[0].reason, /no kernel container \(airlock-kernel-fedcba987654\) is left to use it/);
    assert.deepEqual((await plan(world(root, extra(0.5)))).ids, [], 'a start may be about to create its kernel');
    assert.deepEqual((await plan(world(root, extra(2)), { local: false })).ids, []);
  });
});

describe('installation labels and records', () => {
  it("this installation's images name its folder and uid, and gc can trust them; another id gets no folder", () => {
    const l = installationLabels(undefined, undefined, 4242);
    assert.deepEqual(installationOf(l), { id: l['airlock.installation'], root: l['airlock.installation-root'], uid: 4242 });
    assert.deepEqual(installationLabels('test-id', undefined, 4242), { 'airlock.installation': 'test-id' });
  });

  it('a record is rewritten only when it changed, and one whose name is not its id is ignored', () => {
    const base = tmp('airlock-rec-');
    const a = { ...resolveAssets(), root: tmp('airlock-inst-') } as Assets;
    recordInstallation(base, ['img:1'], a, UID, 1);
    recordInstallation(base, ['img:1'], a, UID, 2);
    assert.deepEqual(
      readInstallations(base).map((r) => [r.images, r.recordedAt, r.state]),
      [[['img:1'], 1, 'exists']],
    );
    const [rec] = readInstallations(base);
    fs.renameSync(rec.file, path.join(base, 'installations', '0000000000000000.json'));
    assert.deepEqual(readInstallations(base), []);
  });
});
