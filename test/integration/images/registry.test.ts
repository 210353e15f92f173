// Images through a real registry (Debian's docker-registry on loopback): publish from the main Docker, then on a second
// dockerd with an empty store prepare by digest and run doctor (kernel + sandboxes) from the pulled images only;
// a tampered manifest, another version's manifest and an unreachable registry are refused without any local build.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import type { CliIO } from '../../../cli/src/command';
import { runCli } from '../../../cli/src/main';
import { AirlockError } from '../../../protocol/src/errors';
import { ImagesManifest } from '../../../protocol/src/images';
import { detectEngine } from '../../../bootstrap';
import { prepareImages } from '../../../templates/builder/images';
import { pullByDigest } from '../../../templates/builder/registry';
import { freePort, startCleanDockerd, startRegistry } from './registry-fixture';

type Reg = Awaited<ReturnType<typeof startRegistry>>;
type Clean = Awaited<ReturnType<typeof startCleanDockerd>>;

describe('images through a registry (docker-registry on loopback, a second dockerd with an empty store)', function () {
  this.timeout(900_000);
  const main = new Docker();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-registry-test-'));
  // No person's config file: only what each step sets.
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: tmp, AIRLOCK_RUNTIME: 'docker' };
  delete baseEnv.AIRLOCK_IMAGE_REGISTRY;
  delete baseEnv.AIRLOCK_IMAGE_MANIFEST;
  delete baseEnv.DOCKER_HOST;
  delete baseEnv.AIRLOCK_ENGINE_SOCKET;
  let reg: Reg;
  let clean: Clean;
  let manifest: ImagesManifest;
  const manifestFile = path.join(tmp, 'images.json');
  const cleanEnv = () => ({ ...baseEnv, DOCKER_HOST: `unix://${clean.socket}` });

  function io(env: NodeJS.ProcessEnv): CliIO & { lines: string[]; errs: string[] } {
    const lines: string[] = [];
    const errs: string[] = [];
    return { lines, errs, out: (l) => lines.push(l), err: (l) => errs.push(l), readStdin: async () => '', cwd: tmp, env };
  }
  const cleanImages = async () => (await clean.docker.listImages()).map((i) => i.Id).sort();
  const writeManifest = (name: string, m: unknown) => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, JSON.stringify(m));
    return f;
  };

  before(async () => {
    [reg, clean] = await Promise.all([startRegistry(), startCleanDockerd()]);
  });
  after(async () => {
    // The publish tags on the main engine (untag only: the local builds stay), then the registry and the second engine.
    for (const img of await main.listImages().catch(() => [])) {
      for (const t of img.RepoTags ?? [])
        if (reg && t.startsWith(`${reg.host}/`))
          await main
            .getImage(t)
            .remove({ noprune: true })
            .catch(() => undefined);
    }
    await clean?.stop();
    await reg?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("the second engine leaves the main engine's docker0 bridge in place (containers on the default network still start)", async () => {
    assert.equal(spawnSync('ip', ['link', 'show', 'docker0']).status, 0, 'docker0 exists');
  });

  it('publish pushes kernel, sandbox-node and code-executor and writes a manifest naming each by digest and this version', async () => {
    const p = io(baseEnv);
    const t0 = Date.now();
    assert.equal(
      await runCli(['images', 'publish', '--json', '--registry', `${reg.host}/airlock`, '--manifest', manifestFile], p),
      0,
      p.errs.join('\n'),
    );
    console.log(`      publish took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    manifest = ImagesManifest.parse(JSON.parse(fs.readFileSync(manifestFile, 'utf8')));
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as { version: string };
    assert.equal(manifest.airlock.version, pkg.version);
    assert.deepEqual(Object.keys(manifest.images).sort(), ['debian', 'kernel', 'node']);
    for (const [name, ref] of Object.entries(manifest.images)) {
      const [repo, digest] = ref.split('@');
      // The registry itself serves that digest under that name.
      const r = await fetch(`http://${reg.host}/v2/${repo.slice(reg.host.length + 1)}/manifests/${digest}`, {
        headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      });
      assert.equal(r.status, 200, `${name}: ${ref} is in the registry`);
      assert.equal(r.headers.get('docker-content-digest'), digest);
    }
  });

  it('refuses an unreachable registry with a clear error, and builds nothing instead', async () => {
    const before = await cleanImages();
    const dead = await freePort();
    const p = io(cleanEnv());
    assert.equal(await runCli(['images', 'prepare', '--from-registry', `127.0.0.1:${dead}/airlock`, '--manifest', manifestFile], p), 2);
    const text = p.errs.join('\n');
    assert.match(text, /IMAGE_REGISTRY_UNREACHABLE/);
    assert.match(text, new RegExp(`127\\.0\\.0\\.1:${dead}`));
    assert.match(text, /hint: check that the registry runs/);
    assert.deepEqual(await cleanImages(), before, 'no image was built or pulled');
  });

  it('refuses a manifest with a tampered digest, another image under a name, and another version', async () => {
    const before = await cleanImages();
    const flip = (ref: string) => ref.slice(0, -1) + (ref.endsWith('0') ? '1' : '0');
    const cases: Array<[string, unknown, RegExp]> = [
      ['altered digest', { ...manifest, images: { ...manifest.images, node: flip(manifest.images.node!) } }, /IMAGE_NOT_IN_REGISTRY/],
      [
        'other version',
        { ...manifest, airlock: { ...manifest.airlock, version: '0.0.1-other' } },
        /IMAGE_MANIFEST_VERSION[^]*Airlock 0\.0\.1-other/,
      ],
      [
        'kernel ref as node',
        { ...manifest, images: { ...manifest.images, node: manifest.images.kernel } },
        /IMAGE_MANIFEST_INVALID[^]*images\.node/,
      ],
      [
        'tag instead of digest',
        { ...manifest, images: { ...manifest.images, node: `${manifest.registry}/sandbox-node:latest` } },
        /IMAGE_MANIFEST_INVALID/,
      ],
    ];
    for (const [what, m, why] of cases) {
      const p = io(cleanEnv());
      assert.equal(await runCli(['images', 'prepare', '--manifest', writeManifest(`${what.replace(/ /g, '-')}.json`, m)], p), 2, what);
      assert.match(p.errs.join('\n'), why, what);
    }
    // The registry holds the kernel under the sandbox-node name too (a wrong push): the digest is right, the image is not.
    const kernelDigest = manifest.images.kernel!.split('@')[1];
    const rawKernel = await (
      await fetch(`http://${reg.host}/v2/airlock/kernel/manifests/${kernelDigest}`, {
        headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      })
    ).text();
    const kernelLocal = (await main.listImages()).find((i) => i.RepoDigests?.includes(manifest.images.kernel!))!;
    await main.getImage(kernelLocal.Id).tag({ repo: `${reg.host}/airlock/sandbox-node`, tag: 'wrong' });
    const pushed = await main.getImage(`${reg.host}/airlock/sandbox-node`).push({ tag: 'wrong', authconfig: {} });
    await new Promise((res, rej) => main.modem.followProgress(pushed, (e) => (e ? rej(e) : res(undefined))));
    assert.ok(rawKernel.length > 0);
    const wrong = { ...manifest, images: { ...manifest.images, node: `${manifest.registry}/sandbox-node@${kernelDigest}` } };
    const p = io(cleanEnv());
    assert.equal(await runCli(['images', 'prepare', '--manifest', writeManifest('wrong-image.json', wrong)], p), 2);
    assert.match(p.errs.join('\n'), /IMAGE_MANIFEST_MISMATCH[^]*is not Airlock's node image/);
    // The kernel pulled before the refusal stays (it is the right one); nothing else arrived and nothing was built.
    const now = await cleanImages();
    assert.ok(now.length <= before.length + 1, `only the kernel image may have arrived: ${now.length - before.length} new`);
    for (const img of await clean.docker.listImages())
      assert.ok(img.RepoDigests?.length, `${img.RepoTags} came from the registry, not a build`);
  });

  it('refuses content that does not match the digest (a registry that lies)', async () => {
    // A proxy serving the code-executor's manifest whenever the sandbox-node digest is asked for.
    const nodeDigest = manifest.images.node!.split('@')[1];
    const debianDigest = manifest.images.debian!.split('@')[1];
    const port = await freePort();
    const proxy = http
      .createServer(async (req, res) => {
        let url = req.url ?? '/';
        if (url.includes(`/manifests/${nodeDigest}`))
          url = url.replace('/sandbox-node/', '/code-executor/').replace(nodeDigest, debianDigest);
        const r = await fetch(`http://${reg.host}${url}`, { method: req.method, headers: { accept: String(req.headers.accept ?? '*/*') } });
        const body = Buffer.from(await r.arrayBuffer());
        const headers: Record<string, string> = {};
        r.headers.forEach((v, k) => {
          if (k !== 'content-length' && k !== 'docker-content-digest') headers[k] = v;
        });
        res.writeHead(r.status, headers).end(req.method === 'HEAD' ? undefined : body);
      })
      .listen(port, '127.0.0.1');
    try {
      const ref = `127.0.0.1:${port}/airlock/sandbox-node@${nodeDigest}`;
      await assert.rejects(
        pullByDigest(clean.docker, 'node', ref, () => {}),
        (e: AirlockError) => {
          assert.equal(e.code, 'IMAGE_DIGEST_MISMATCH', `${e.code}: ${e.message}`);
          assert.match(e.message, /digest/i);
          return true;
        },
      );
      assert.ok(
        !(await clean.docker.listImages()).some((i) => i.Labels?.['airlock.image-for'] === 'debian'),
        'the substituted image was not taken',
      );
    } finally {
      proxy.close();
    }
  });

  it('cancelling a prepare from the registry stops it through the AbortSignal', async () => {
    const engine = await detectEngine({ runtime: 'docker' }, cleanEnv());
    const ac = new AbortController();
    const reason = new AirlockError('CANCELLED', 'test cancel');
    await assert.rejects(
      prepareImages(engine, {
        registry: { manifest: manifestFile },
        sandboxesOnly: true,
        signal: ac.signal,
        progress: (l) => {
          if (/pulling/.test(l)) ac.abort(reason);
        },
      }),
      (e) => e === reason,
    );
  });

  it('prepare --from-registry on the second engine (nothing ever built there) pulls by digest; doctor then runs the kernel and sandboxes from them', async () => {
    const p = io(cleanEnv());
    const t0 = Date.now();
    assert.equal(
      await runCli(['images', 'prepare', '--json', '--from-registry', `${reg.host}/airlock`, '--manifest', manifestFile], p),
      0,
      p.errs.join('\n'),
    );
    console.log(`      prepare from the registry took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const ready = JSON.parse(p.lines.join('\n')) as { images: Array<{ kind: string; ref: string }> };
    assert.deepEqual(ready.images.map((i) => i.kind).sort(), ['code-executor', 'kernel', 'sandbox-node']);
    for (const [name, ref] of Object.entries(manifest.images)) {
      const info = await clean.docker.getImage(ref).inspect();
      assert.ok(info.RepoDigests?.includes(ref), `${name}: the engine recorded ${ref}`);
    }
    const pulled = await cleanImages();
    assert.equal(pulled.length, 3);

    const ws = fs.mkdtempSync(path.join(tmp, 'ws-'));
    fs.writeFileSync(path.join(ws, 'README.md'), '# a workspace\n');
    const t1 = Date.now();
    const r = spawnSync(
      process.execPath,
      ['--require', require.resolve('tsx/cjs'), path.join(__dirname, '../../../cli/src/entry.ts'), 'doctor', '--json', '--workspace', ws],
      { cwd: ws, encoding: 'utf8', env: { ...cleanEnv(), AIRLOCK_STATE_ROOT: fs.mkdtempSync('/tmp/al-st-') }, timeout: 300_000 },
    );
    console.log(`      doctor on the second engine took ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as {
      ok: boolean;
      checks: Array<{ name: string; ok: boolean; detail: string }>;
    };
    assert.equal(report.ok, true, `doctor:\n${r.stdout}\n${r.stderr.slice(-3000)}`);
    assert.deepEqual(await cleanImages(), pulled, 'doctor used the pulled images: nothing was built on the second engine');
  });
});
