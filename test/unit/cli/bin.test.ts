// The documented ways to run the CLI work from any folder: `node bin/airlock`, and an `airlock` symlink on PATH
// (what `npm link` / `npm install -g .` make); the docs never say `npx airlock` (an unrelated package on the registry).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const BIN = path.join(ROOT, 'bin', 'airlock');

function run(file: string, args: string[], cwd: string): string {
  return execFileSync(file, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` },
  });
}

describe('CLI: how people run it', function () {
  this.timeout(180_000); // bin/airlock rebuilds the bundles first when the sources are newer
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-bin-'));

  it('`node bin/airlock` runs the CLI from another folder', () => {
    const out = run(process.execPath, [BIN, '--help'], elsewhere);
    assert.match(out, /^usage: airlock <command>/);
    assert.match(out, /\n {2}doctor /);
    const check = run(process.execPath, [BIN, 'policy', 'check', path.join(ROOT, 'policies', 'strict.yaml')], elsewhere);
    assert.match(check, /^ok: \d+ rules/);
  });

  it('an `airlock` symlink on PATH (npm link, npm install -g .) runs it too', () => {
    const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-path-'));
    fs.symlinkSync(BIN, path.join(binDir, 'airlock'));
    assert.match(run(path.join(binDir, 'airlock'), ['--help'], elsewhere), /^usage: airlock <command>/);
  });

  it('README and docs name a command that runs this CLI, never `npx airlock`', () => {
    const files = [
      'README.md',
      ...fs
        .readdirSync(path.join(ROOT, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ];
    // A line may warn against it ("Not `npx airlock`: ... unrelated package"), never tell people to run it.
    const npx = files
      .flatMap((f) =>
        fs
          .readFileSync(path.join(ROOT, f), 'utf8')
          .split('\n')
          .map((l, i) => [`${f}:${i + 1}`, l]),
      )
      .filter(([, l]) => /npx\s+airlock\b/.test(l) && !/\b(not|unrelated|another package|something else)\b/i.test(l))
      .map(([w]) => w);
    assert.deepEqual(npx, []);
    assert.match(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'), /node bin\/airlock/);
    assert.match(fs.readFileSync(path.join(ROOT, 'docs', 'cli.md'), 'utf8'), /npm link/);
  });
});
