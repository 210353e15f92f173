// dist/ as it ships, copied to a folder unrelated to the checkout (with a space in its path) and run from another
// folder: `node dist/cli.js doctor --json` passes every check, and the kernel it starts resolves the image layout.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeWorkspaceLeftovers } from '../workspace-leftovers';
import { assets } from '../../../protocol/src/node/assets';

interface Doctor {
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
  kernel?: { assets?: { layout: string; kernelDir: string } };
}

describe('dist/ copied elsewhere (Docker)', function () {
  this.timeout(300_000);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock shipped '));
  const pkg = path.join(base, 'an unrelated folder');
  const ws = path.join(base, 'project');
  after(async () => {
    await removeWorkspaceLeftovers(ws);
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('`node dist/cli.js doctor --json` there: every check passes', () => {
    const root = assets().root;
    assert.ok(fs.existsSync(path.join(root, 'dist', 'cli.js')), 'npm run build first');
    for (const d of ['dist', 'policies', 'templates/sandbox', 'templates/seccomp', 'examples'])
      fs.cpSync(path.join(root, d), path.join(pkg, d), { recursive: true });
    fs.copyFileSync(path.join(root, 'package.json'), path.join(pkg, 'package.json'));
    fs.mkdirSync(ws);
    fs.writeFileSync(path.join(ws, 'a.txt'), 'a\n');
    const r = spawnSync(process.execPath, [path.join(pkg, 'dist', 'cli.js'), 'doctor', '--json', '--workspace', ws], {
      cwd: os.tmpdir(),
      encoding: 'utf8',
      timeout: 240_000,
    });
    assert.equal(r.status, 0, `doctor exited ${r.status}\n${r.stdout}\n${r.stderr}`);
    const report = JSON.parse(r.stdout) as Doctor;
    assert.equal(report.ok, true);
    assert.deepEqual(
      report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
      [],
    );
    assert.deepEqual(report.checks.map((c) => c.name).sort(), ['image', 'images', 'kernel', 'pools', 'runtime', 'workspace']);
    assert.equal(report.kernel?.assets?.layout, 'image');
    assert.equal(report.kernel?.assets?.kernelDir, '/opt/airlock');
  });
});
