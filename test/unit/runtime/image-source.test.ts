// Where images come from: a configured registry, the Dockerfiles FROM a base pinned by digest, the manifest a release
// ships (under Electron), or the offline builder — which an Electron extension host never reaches (no engine call, no
// Node.js looked for). Dockerfile builds are found again by a hash of the Dockerfile, the base and what it COPYs.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import type { Engine } from '../../../core/src/engine/detect';
import { copySources, dockerfileInputs, imageSource } from '../../../templates/builder/dockerfile-images';
import { prepareImages } from '../../../templates/builder/images';
import { ensureKernelImage } from '../../../templates/builder/kernel-image';
import { kernelImageSpec } from '../../../templates/builder/kernel-image';
import { assets } from '../../../protocol/src/node/assets';
import { release } from '../../../templates/builder/registry';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const BASE = `127.0.0.1:5000/airlock/base@${DIGEST}`;
const electron = { node: '20.0.0', electron: '30.0.0' };
const code = (c: string) => (e: { code?: string }) => e.code === c;

function emptyRoot(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-root-'));
}

/** An engine whose every use fails the test: the decision must come before any engine call. */
function untouchable(): Engine {
  const docker = new Proxy(
    {},
    {
      get: (_t, p) => {
        throw new Error(`the engine was used (${String(p)})`);
      },
    },
  ) as unknown as Docker;
  return { kind: 'docker', socket: '/nonexistent.sock', docker, version: 'test', rootless: false, warnings: [] };
}

/** process.versions.electron for the duration of `fn` (what desktop VS Code's extension host has). */
async function asElectron<T>(fn: () => Promise<T>): Promise<T> {
  Object.defineProperty(process.versions, 'electron', { value: '30.0.0', configurable: true, enumerable: true });
  try {
    return await fn();
  } finally {
    delete (process.versions as Record<string, string | undefined>).electron;
  }
}

describe('image source', () => {
  it('a registry in the environment wins; then a base pinned by digest; else the offline builder on a Node.js host', () => {
    assert.deepEqual(imageSource({ env: { AIRLOCK_IMAGE_REGISTRY: '127.0.0.1:5000/airlock', AIRLOCK_IMAGE_BASE: BASE }, versions: {} }), {
      type: 'registry',
      source: { from: '127.0.0.1:5000/airlock', manifest: undefined },
    });
    assert.deepEqual(imageSource({ env: { AIRLOCK_IMAGE_BASE: ` ${BASE} ` }, versions: electron }), { type: 'dockerfile', base: BASE });
    assert.deepEqual(imageSource({ env: {}, versions: { node: '20.0.0' } }), { type: 'offline' });
  });

  it('a base named by a tag (which could change between builds) is refused', () => {
    assert.throws(() => imageSource({ env: { AIRLOCK_IMAGE_BASE: 'node:20-bookworm-slim' }, versions: {} }), code('IMAGE_BASE_INVALID'));
    assert.throws(() => imageSource({ env: { AIRLOCK_IMAGE_BASE: `${BASE}0` }, versions: {} }), code('IMAGE_BASE_INVALID'));
  });

  it('Electron: the manifest a release ships, else IMAGE_NO_SOURCE naming both ways — never the offline builder', () => {
    const root = emptyRoot();
    assert.throws(
      () => imageSource({ env: {}, versions: electron, root }),
      (e: { code?: string; message: string; hint?: string }) =>
        e.code === 'IMAGE_NO_SOURCE' &&
        /Electron/.test(e.message) &&
        /AIRLOCK_IMAGE_REGISTRY/.test(e.hint ?? '') &&
        /AIRLOCK_IMAGE_BASE/.test(e.hint ?? ''),
    );
    fs.mkdirSync(path.join(root, 'dist'));
    fs.writeFileSync(path.join(root, 'dist', 'images.json'), '{}');
    assert.deepEqual(imageSource({ env: {}, versions: electron, root }), {
      type: 'registry',
      source: { manifest: path.join(root, 'dist', 'images.json') },
    });
  });

  it('prepareImages and the kernel start under Electron with nothing configured fail before touching the engine', async function () {
    if (fs.existsSync(path.join(assets().root, 'dist', 'images.json'))) this.skip(); // a release checkout ships a manifest
    await asElectron(async () => {
      await assert.rejects(prepareImages(untouchable(), { env: {} }), code('IMAGE_NO_SOURCE'));
      await assert.rejects(prepareImages(untouchable(), { env: {}, sandboxesOnly: true }), code('IMAGE_NO_SOURCE'));
      await assert.rejects(
        ensureKernelImage(untouchable(), { image: undefined } as never, undefined, undefined, {}),
        code('IMAGE_NO_SOURCE'),
      );
    });
    // The person's own kernel image is used as it is, whatever the host.
    await asElectron(async () =>
      assert.equal(await ensureKernelImage(untouchable(), { image: 'mine:1' } as never, undefined, undefined, {}), 'mine:1'),
    );
  });
});

describe('Dockerfile builds are found by the hash of their inputs', () => {
  it("the kernel Dockerfile COPYs exactly the offline kernel image's files", () => {
    const text = fs.readFileSync(path.join(assets().root, 'templates', 'docker', 'kernel.Dockerfile'), 'utf8');
    const root = assets().root;
    assert.deepEqual(
      copySources(text)
        .map((s) => path.join(root, s))
        .sort(),
      Object.values(kernelImageSpec().files)
        .map((f) => path.resolve(f))
        .sort(),
    );
    assert.deepEqual(copySources(fs.readFileSync(path.join(root, 'templates', 'docker', 'sandbox-node.Dockerfile'), 'utf8')), []);
  });

  it('the same inputs give the same hash; another base, a changed Dockerfile or a changed COPYed file another', () => {
    const root = emptyRoot();
    fs.mkdirSync(path.join(root, 'templates', 'docker'), { recursive: true });
    fs.mkdirSync(path.join(root, 'stuff'));
    fs.writeFileSync(path.join(root, 'stuff', 'a.txt'), 'one');
    const file = path.join(root, 'templates', 'docker', 'kernel.Dockerfile');
    fs.writeFileSync(file, 'ARG BASE\nFROM ${BASE}\nCOPY stuff /opt/stuff\n');
    const h = (base = BASE) => dockerfileInputs(root, 'kernel', base).hash;
    const first = h();
    assert.equal(h(), first);
    assert.deepEqual(dockerfileInputs(root, 'kernel', BASE).include, ['stuff']);
    assert.notEqual(h(BASE.replace(/a{64}/, 'b'.repeat(64))), first);
    fs.writeFileSync(path.join(root, 'stuff', 'a.txt'), 'two');
    const second = h();
    assert.notEqual(second, first);
    fs.appendFileSync(file, 'RUN true\n');
    assert.notEqual(h(), second);
    fs.rmSync(path.join(root, 'stuff'), { recursive: true });
    assert.throws(
      () => h(),
      (e: { code?: string; message: string }) => e.code === 'IMAGE_BUILD_FAILED' && /stuff/.test(e.message),
    );
  });
});

describe('the imported Debian base', () => {
  it("has the offline code-executor recipe's packages, so the code-executor Dockerfile installs nothing (builds get no network)", () => {
    const read = (f: string) => fs.readFileSync(path.join(assets().root, f), 'utf8');
    const list = (m: RegExpExecArray | null) => [...(m?.[1] ?? '').matchAll(/'([^']+)'/g)].map((x) => x[1]).sort();
    const recipe = list(/include: opts\.include \?\? \[([^\]]*)\]/.exec(read('templates/builder/debian-rootfs.ts')));
    assert.ok(recipe.length >= 2);
    assert.deepEqual(list(/debootstrap\(\{[^}]*include: \[([^\]]*)\]/.exec(read('templates/builder/dockerfile-build.ts'))), recipe);
  });
});

describe('the kernel start with a registry configured', () => {
  const kernelRef = `127.0.0.1:5000/airlock/kernel@${DIGEST}`;
  function manifestFile(): string {
    const f = path.join(emptyRoot(), 'images.json');
    fs.writeFileSync(
      f,
      JSON.stringify({
        schema: 1,
        airlock: { version: release().version },
        registry: '127.0.0.1:5000/airlock',
        images: { kernel: kernelRef },
      }),
    );
    return f;
  }
  /** An engine that has the image only once it was pulled, recording what was asked. */
  function fakeEngine(calls: string[]): Engine {
    let pulled = new Set<string>();
    const docker = {
      getImage: (ref: string) => ({
        inspect: async () => {
          calls.push(`inspect ${ref}`);
          if (!pulled.has(ref)) throw new Error('no such image');
          return { Id: 'sha256:1', RepoDigests: [ref], Config: { Labels: { 'airlock.owner': 'airlock', 'airlock.role': 'kernel-image' } } };
        },
      }),
      createImage: async (o: { fromImage: string }) => {
        calls.push(`pull ${o.fromImage}`);
        pulled = new Set([...pulled, o.fromImage]);
        return {};
      },
      modem: { followProgress: (_s: unknown, done: (e: Error | null, r: unknown[]) => void) => done(null, []) },
    } as unknown as Docker;
    return { ...untouchable(), docker };
  }

  it("pulls the manifest's kernel by digest once, then finds it; the image is named by its digest (also under Electron)", async () => {
    const calls: string[] = [];
    const engine = fakeEngine(calls);
    const env = { AIRLOCK_IMAGE_MANIFEST: manifestFile() };
    await asElectron(async () => {
      assert.equal(await ensureKernelImage(engine, { image: undefined } as never, undefined, undefined, env), kernelRef);
      assert.deepEqual(calls, [`inspect ${kernelRef}`, `pull ${kernelRef}`, `inspect ${kernelRef}`]);
      calls.length = 0;
      assert.equal(await ensureKernelImage(engine, { image: undefined } as never, undefined, undefined, env), kernelRef);
      assert.deepEqual(calls, [`inspect ${kernelRef}`], 'found: no second pull');
    });
    // A mirror holds the same digest under its own name.
    const mirrored = `mirror.test:5000/mirror/kernel@${DIGEST}`;
    const viaMirror: string[] = [];
    assert.equal(
      await ensureKernelImage(fakeEngine(viaMirror), { image: undefined } as never, undefined, undefined, {
        ...env,
        AIRLOCK_IMAGE_REGISTRY: 'mirror.test:5000/mirror',
      }),
      mirrored,
    );
    assert.ok(viaMirror.includes(`pull ${mirrored}`));
  });
});
