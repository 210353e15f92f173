// The one asset resolver: each layout (sources, dist/ bundles, the kernel image) finds the same files, and the kernel
// refuses to run when its code is outside the folder its built-in policy protects.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installationId, resolveAssets, workerEntry } from '../../protocol/src/node/assets';
import { checkOwnFolder } from '../../kernel/src/own-folder';

const ROOT = path.resolve(__dirname, '..', '..');

/** A package laid out like dist/ (or the image's /opt/airlock) in a folder unrelated to the checkout. */
function fakePackage(): string {
  const pkg = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock assets '));
  for (const d of ['dist/kernel', 'policies', 'templates/sandbox', 'templates/seccomp', 'examples', 'node_modules/deno'])
    fs.mkdirSync(path.join(pkg, d), { recursive: true });
  for (const f of ['dist/kernel/kernel.js', 'dist/kernel/grep-worker.js', 'dist/cli.js', 'node_modules/deno/deno'])
    fs.writeFileSync(path.join(pkg, f), '');
  return pkg;
}

describe('asset resolver', () => {
  it('sources: the checkout that holds this module, with .ts workers', () => {
    const a = resolveAssets({}, path.join(ROOT, 'protocol', 'src', 'node'));
    assert.equal(a.layout, 'sources');
    assert.equal(a.root, ROOT);
    assert.equal(a.kernelDir, ROOT);
    assert.equal(a.sandboxTemplatesDir, path.join(ROOT, 'templates', 'sandbox'));
    assert.ok(fs.existsSync(path.join(a.policiesDir, 'strict.yaml')));
    assert.equal(workerEntry('grep-worker', a)?.file, path.join(ROOT, 'kernel/src/agent/tools/grep-worker.ts'));
    assert.equal(workerEntry('grep-worker', a)?.ts, true);
  });

  it('bundles: dist/cli.js and dist/kernel/kernel.js find the same package root, wherever it was copied', () => {
    const pkg = fakePackage();
    for (const dir of [path.join(pkg, 'dist'), path.join(pkg, 'dist', 'kernel')]) {
      const a = resolveAssets({}, dir);
      assert.deepEqual([a.layout, a.root, a.kernelBundleDir], ['bundle', pkg, path.join(pkg, 'dist', 'kernel')]);
      assert.equal(a.policiesDir, path.join(pkg, 'policies'));
      assert.equal(a.seccompDir, path.join(pkg, 'templates', 'seccomp'));
      assert.equal(a.examplesDir, path.join(pkg, 'examples'));
      assert.equal(a.deno, path.join(pkg, 'node_modules', 'deno', 'deno'));
      assert.deepEqual(workerEntry('grep-worker', a), { file: path.join(pkg, 'dist/kernel/grep-worker.js'), ts: false });
      assert.equal(workerEntry('audit-writer', a), undefined, 'a worker that was not shipped is reported missing, not guessed');
    }
  });

  it("image: the same layout under AIRLOCK_IN_CONTAINER, and the person's own policies and templates when given", () => {
    const pkg = fakePackage();
    const a = resolveAssets(
      { AIRLOCK_IN_CONTAINER: '1', AIRLOCK_POLICIES_DIR: '/opt/airlock/user/policies', AIRLOCK_TEMPLATES_DIR: '/t' },
      path.join(pkg, 'dist', 'kernel'),
    );
    assert.deepEqual([a.layout, a.root, a.policiesDir, a.sandboxTemplatesDir], ['image', pkg, '/opt/airlock/user/policies', '/t']);
  });

  it('no deno shipped: undefined, not a guessed path', () => {
    const pkg = fakePackage();
    fs.rmSync(path.join(pkg, 'node_modules'), { recursive: true });
    assert.equal(resolveAssets({}, path.join(pkg, 'dist')).deno, undefined);
  });

  it('an unknown layout is a clear error', () => {
    assert.throws(
      () => resolveAssets({}, os.tmpdir()),
      (e: { code?: string; hint?: string }) => e.code === 'ASSETS_LAYOUT' && !!e.hint,
    );
  });

  it('installation ids differ between checkouts and between users of one checkout', () => {
    const a = resolveAssets({}, path.join(fakePackage(), 'dist'));
    const b = resolveAssets({}, path.join(fakePackage(), 'dist'));
    assert.notEqual(installationId(a, 1000), installationId(b, 1000));
    assert.notEqual(installationId(a, 1000), installationId(a, 1001));
    assert.equal(installationId(a, 1000), installationId(a, 1000));
  });

  it('the kernel refuses to start when its code is outside its protected folder, or a container kernel is not in the image layout', () => {
    const pkg = fakePackage();
    const a = resolveAssets({}, path.join(pkg, 'dist', 'kernel'));
    assert.equal(checkOwnFolder(path.join(pkg, 'dist', 'kernel', 'kernel.js'), a, false), fs.realpathSync(pkg));
    const elsewhere = path.join(fakePackage(), 'dist', 'kernel', 'kernel.js');
    assert.throws(() => checkOwnFolder(elsewhere, a, false), /not inside the folder its built-in policy protects/);
    assert.throws(() => checkOwnFolder(path.join(pkg, 'dist', 'kernel', 'kernel.js'), a, true), /laid out as "bundle"/);
    const img = resolveAssets({ AIRLOCK_IN_CONTAINER: '1' }, path.join(pkg, 'dist', 'kernel'));
    assert.equal(checkOwnFolder(path.join(pkg, 'dist', 'kernel', 'kernel.js'), img, true), fs.realpathSync(pkg));
  });
});
