// The build's zod plugin (scripts/zod-english-only.mjs): bundles keep zod's English messages and drop its other locales.
import assert from 'node:assert/strict';
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO as REPO_ROOT } from '../plugins/example';

type Plugin = esbuild.Plugin;

describe('build: zod bundled with English messages only', () => {
  let tmp: string;
  let plugin: Plugin;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-zod-en-'));
    ({ zodEnglishOnly: plugin } = (await import('../../../scripts/zod-english-only.mjs' as string)) as { zodEnglishOnly: Plugin });
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** Bundles a module like the protocol's (zod imported as `z`, the namespace used whole), runs it, returns its output. */
  async function bundleAndRun(plugins: Plugin[]): Promise<{ bytes: number; out: { message: string; locales: string[] } }> {
    const entry = path.join(tmp, 'entry.ts');
    fs.writeFileSync(
      entry,
      `import { z } from 'zod';
const r = z.object({ n: z.number() }).safeParse({ n: 'x' });
module.exports = { message: r.success ? '' : r.error.issues[0].message, locales: Object.keys(z.locales) };
`,
    );
    const outfile = path.join(tmp, `out-${plugins.length}.js`);
    await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'cjs',
      outfile,
      nodePaths: [path.join(REPO_ROOT, 'node_modules')],
      plugins,
      logLevel: 'silent',
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const out = require(outfile) as { message: string; locales: string[] };
    return { bytes: fs.statSync(outfile).size, out };
  }

  it("keeps zod working in English, with z.locales holding English alone, in under 60% of zod's full size", async function () {
    this.timeout(60_000);
    const full = await bundleAndRun([]);
    const en = await bundleAndRun([plugin]);
    assert.ok(full.out.locales.length > 20, `zod as published has its translations (${full.out.locales.length})`);
    assert.deepEqual(en.out.locales, ['en']);
    assert.equal(en.out.message, full.out.message, 'the same English message as zod as published');
    assert.match(en.out.message, /expected number/i);
    assert.ok(en.bytes < full.bytes * 0.6, `bundle ${en.bytes} bytes vs ${full.bytes} with every locale`);
  });

  it('is used by every bundle target of the build', () => {
    const build = fs.readFileSync(path.join(REPO_ROOT, 'scripts/build.mjs'), 'utf8');
    assert.match(build, /const common = \{[^}]*plugins: \[zodEnglishOnly\]/s);
    // A target's own plugins list replaces common's: each must start from common's.
    for (const m of build.matchAll(/^\s+plugins: \[(.*)\],$/gm))
      if (!m[1].includes('zodEnglishOnly')) assert.match(m[1], /^\.\.\.common\.plugins/);
  });
});
