import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { ensureNodeImage } from '../../../templates/builder/node-rootfs';
import { PatchService } from '../../../kernel/src/patches/service';
import { checkQuota, createOutputVolume, type OutputVolume, patchSource, removeOutputVolume } from '../../../kernel/src/patches/volumes';
import { applyOps } from '../../../core/src/apply/apply';
import type { PatchSet } from '../../../protocol/src/patches';
import { readTree, rm, tempDir, writeTree } from '../../unit/patches/helpers';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** What the sandbox does through its output volume: write, modify, delete, rename, chmod, binary, replace a dir. */
const SCRIPT = `
const fs = require('fs');
process.chdir('/ws');
fs.writeFileSync('a.txt', fs.readFileSync('a.txt', 'utf8').replace('line 3', 'line THREE'));
fs.unlinkSync('b.txt');
fs.mkdirSync('moved');
fs.renameSync('c.txt', 'moved/c.txt');
fs.chmodSync('run.sh', 0o755);
fs.writeFileSync('pic.bin', Buffer.from([0, 1, 2, 3, 4, 5]));
fs.writeFileSync('new.txt', 'brand new\\n');
fs.rmSync('dir', { recursive: true });
fs.mkdirSync('dir');
fs.writeFileSync('dir/y.txt', 'y\\n');
try { fs.writeFileSync('/etc/evil', 'x'); } catch {}
if (process.argv[1] === 'big') fs.writeFileSync('big.bin', Buffer.alloc(3 * 1024 * 1024, 7));
`;

async function runSandbox(image: string, vol: OutputVolume, arg = ''): Promise<void> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => {
    text += d;
  });
  const [res, container] = (await docker.run(image, ['node', '-e', SCRIPT, arg], out, {
    HostConfig: {
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      Mounts: [{ Type: 'volume', Source: vol.volumeName, Target: '/ws' }],
    },
  })) as [{ StatusCode: number }, Docker.Container];
  await container.remove({ force: true });
  assert.equal(res.StatusCode, 0, text);
}

describe('patches: output volumes on the real Docker engine', function () {
  this.timeout(180_000);
  let image: string;
  let base: string;
  let ws: string;
  const vols: OutputVolume[] = [];

  before(async () => {
    image = await ensureNodeImage(docker, { repo: 'airlock/patch-test', files: {} });
  });
  beforeEach(() => {
    base = tempDir('airlock-ovl-');
    ws = path.join(base, 'ws');
    writeTree(
      ws,
      {
        'a.txt': Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join(''),
        'b.txt': 'bye\n',
        'c.txt': 'moving\n',
        'run.sh': 'echo\n',
        'pic.bin': Buffer.from([0, 1, 2]),
        'dir/x.txt': 'x\n',
        'dir/z.txt': 'z\n',
      },
      0o644,
    );
  });
  afterEach(async () => {
    for (const v of vols.splice(0)) await removeOutputVolume(v, docker);
    rm(base);
  });

  async function sandboxPatch(overlay: 'on' | 'off', arg = ''): Promise<{ set: PatchSet; vol: OutputVolume; svc: PatchService }> {
    const vol = await createOutputVolume(`t${Date.now().toString(36)}${overlay}`, {
      engine: docker,
      outputRoot: path.join(base, 'out'),
      workspace: ws,
      overlay,
    });
    vols.push(vol);
    const before = readTree(ws);
    await runSandbox(image, vol, arg);
    assert.deepEqual(readTree(ws), before, 'the workspace is untouched by the sandbox');
    const svc = new PatchService({ stateDir: path.join(base, 'state'), workspace: ws, audit: { record: () => undefined } });
    return { set: await svc.generate(patchSource(vol)), vol, svc };
  }

  for (const overlay of ['on', 'off'] as const) {
    it(`turns the sandbox's writes into the exact patch set (${overlay === 'on' ? 'overlay' : 'snapshot fallback'}) and merges it`, async () => {
      const { set, vol, svc } = await sandboxPatch(overlay);
      assert.equal(vol.kind, overlay === 'on' ? 'overlay' : 'snapshot');
      if (overlay === 'off') assert.match(vol.reason ?? '', /turned off/);
      assert.deepEqual(
        set.files.map((f) => `${f.type} ${f.path}${f.type === 'rename' ? ` <- ${f.from}` : ''}`),
        [
          'modify a.txt',
          'delete b.txt',
          'delete dir/x.txt',
          'add dir/y.txt',
          'delete dir/z.txt',
          'rename moved/c.txt <- c.txt',
          'add new.txt',
          'binary pic.bin',
          'mode run.sh',
        ],
      );
      const a = set.files[0];
      assert.ok(
        a.type === 'modify' && a.hunks.length === 1 && a.hunks[0].lines.includes('-line 3') && a.hunks[0].lines.includes('+line THREE'),
      );
      const m = set.files.find((f) => f.type === 'mode');
      assert.ok(m?.type === 'mode' && m.oldMode === 0o644 && m.newMode === 0o755);
      assert.deepEqual(set.blocked, []);
      assert.deepEqual(set.warnings, [], 'opaque directories are read without a warning');
      if (overlay === 'on') {
        // userxattr: the opaque flag is in user.overlay.*, readable without CAP_SYS_ADMIN (the kernel container has none).
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the native addon, as the kernel loads it
        const addon = require('airlock-peercred') as { getxattr(p: string, n: string): Buffer | null };
        assert.equal(addon.getxattr(path.join(vol.dir, 'upper', 'dir'), 'user.overlay.opaque')?.toString(), 'y');
        assert.equal(addon.getxattr(path.join(vol.dir, 'upper', 'dir'), 'trusted.overlay.opaque'), null);
      }
      // Accept everything and merge on the host side: the workspace becomes what the sandbox saw.
      await svc.decide({ setId: set.id, items: set.files.map((f) => ({ path: f.path, decision: 'accept' as const })) });
      const plan = await svc.plan(set.id);
      assert.deepEqual(plan.conflicts, []);
      await applyOps(plan.ops, {
        workspace: ws,
        journalDir: path.join(base, 'journal'),
        setId: set.id,
        blobs: { read: async (h, off, len) => svc.readBlob(set.id, h, off, len) },
      });
      assert.equal(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8').split('\n')[3], 'line THREE');
      assert.equal(fs.readFileSync(path.join(ws, 'moved/c.txt'), 'utf8'), 'moving\n');
      assert.equal(
        fs.existsSync(path.join(ws, 'c.txt')) || fs.existsSync(path.join(ws, 'b.txt')) || fs.existsSync(path.join(ws, 'dir/x.txt')),
        false,
      );
      assert.deepEqual([...fs.readFileSync(path.join(ws, 'pic.bin'))], [0, 1, 2, 3, 4, 5]);
      assert.equal(fs.statSync(path.join(ws, 'run.sh')).mode & 0o777, 0o755);
    });
  }

  it('reports a sandbox over its output quota as an error for that volume only', async () => {
    const vol = await createOutputVolume(`q${Date.now().toString(36)}`, {
      engine: docker,
      outputRoot: path.join(base, 'out'),
      workspace: ws,
      overlay: 'on',
      quotaBytes: 1024 * 1024,
    });
    vols.push(vol);
    await runSandbox(image, vol, 'big');
    await assert.rejects(checkQuota(vol), (e: Error & { code?: string }) => e.code === 'PATCH_VOLUME_FULL');
    assert.equal(fs.existsSync(path.join(ws, 'big.bin')), false);
  });
});
