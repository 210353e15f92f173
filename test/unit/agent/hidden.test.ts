// Attacks on what the policy hides: native tools (grep, glob, list) skip every file and folder fs.read denies, the
// masks found for sandboxes cover the same paths, and the values in hidden files reach the sanitiser.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hiddenCheck } from '../../../kernel/src/agent/hidden';
import { hiddenValues, workspaceMasks } from '../../../kernel/src/agent/masks';
import { Sanitiser } from '../../../kernel/src/agent/sanitise';
import { disposeGrepPool } from '../../../kernel/src/agent/tools/grep';
import { fsList, searchGlob, searchGrep } from '../../../kernel/src/agent/tools/native';
import type { ToolContext } from '../../../kernel/src/agent/tools/types';
import { createDefaultPolicyEngine } from '../../../core/src/policy/defaults';

const SECRETS = {
  env: 'hunter2-env-root',
  key: 'prodkey-0123456789abcdef',
  nested: 'deploy-pw-nested-9f8e7d',
  ssh: 'ssh-private-bits-abc',
};

describe('what the policy hides (native tools and masks)', () => {
  let ws: string;
  const w = (rel: string, content: string) => {
    fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
    fs.writeFileSync(path.join(ws, rel), content);
  };
  const engine = createDefaultPolicyEngine('explore', { workspace: os.tmpdir() });
  const ctx = (): ToolContext => ({
    workspace: ws,
    taskId: 't1',
    signal: new AbortController().signal,
    hidden: hiddenCheck(engine, 't1', 'explore'),
  });
  const all = (s: string) => Object.values(SECRETS).filter((v) => s.includes(v));

  before(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-hidden-'));
    w('.env', `DB_PASSWORD=${SECRETS.env}\n`);
    w('config/prod.key', `${SECRETS.key}\n`);
    w('config/app.json', '{"name": "app"}\n');
    w('deploy/.env.production', `export API_TOKEN="${SECRETS.nested}"\n`);
    w('deploy/run.sh', 'echo deploy\n');
    w('home/.ssh/config', `IdentityFile ${SECRETS.ssh}\n`);
    w('src/main.ts', 'export const env = process.env;\n');
    // The secret is git-ignored, as it usually is: the masks must find it anyway.
    w('.gitignore', '.env\n');
  });
  after(() => {
    disposeGrepPool();
    engine.dispose();
    fs.rmSync(ws, { recursive: true, force: true });
  });

  it('search.grep returns no line of a hidden file, whatever the globs ask for', async () => {
    for (const globs of [undefined, ['.env', '*.key', '.env.*', 'config'], ['**/.ssh/**']]) {
      const r = await searchGrep.run({ pattern: '[a-z0-9]{6,}', globs, maxResults: 200 } as never, ctx());
      assert.deepEqual(all(r.content), [], `globs ${JSON.stringify(globs)}: ${r.content}`);
    }
    const r = await searchGrep.run({ pattern: 'deploy|app', maxResults: 200 } as never, ctx());
    assert.match(r.content, /deploy\/run\.sh:1:echo deploy/);
    assert.match(r.content, /config\/app\.json/);
  });

  it('search.grep refuses to start in a hidden folder', async () => {
    await assert.rejects(searchGrep.run({ pattern: 'x', path: 'home/.ssh', maxResults: 10 } as never, ctx()), /hides this folder/);
  });

  it('search.glob and fs.list do not name hidden files or folders', async () => {
    const g = await searchGlob.run({ patterns: ['**/*', '**/.env*', '**/*.key', '**/.ssh/**'], maxResults: 500 }, ctx());
    assert.doesNotMatch(g.content, /\.env|prod\.key|\.ssh/);
    assert.match(g.content, /deploy\/run\.sh/);
    const l = await fsList.run({ path: '.', recursive: true, maxEntries: 500 }, ctx());
    assert.doesNotMatch(l.content, /\.env|prod\.key|\.ssh/);
    assert.match(l.content, /config\/app\.json/);
    await assert.rejects(fsList.run({ path: 'home/.ssh', recursive: false, maxEntries: 10 }, ctx()), /hides this folder/);
  });

  it('without the check (the old behaviour) the same calls leak: the test would see it', async () => {
    const r = await searchGrep.run({ pattern: '[a-z0-9]{6,}', globs: ['.env', '*.key'], maxResults: 200 } as never, {
      ...ctx(),
      hidden: undefined,
    });
    assert.ok(all(r.content).length > 0);
  });

  it('masks cover each hidden file and folder (git-ignored ones too), and nothing else', async () => {
    const m = await workspaceMasks(ws, hiddenCheck(engine, 't1', 'explore'));
    assert.deepEqual(m, { files: ['.env', 'config/prod.key', 'deploy/.env.production'], dirs: ['home/.ssh'] });
  });

  it('a name that appears later is found by the next walk; a folder masked whole hides new names in it', async () => {
    w('deploy/.env.local', 'LATE=late-secret-value\n');
    const m = await workspaceMasks(ws, hiddenCheck(engine, 't1', 'explore'));
    assert.ok(m.files.includes('deploy/.env.local'));
    assert.ok(hiddenCheck(engine, 't1', 'explore')('home/.ssh/new-key-made-later', false));
    fs.rmSync(path.join(ws, 'deploy/.env.local'));
  });

  it('fails closed: too many masks, or a tree too large to judge, is an error, not a partial mask', async () => {
    await assert.rejects(
      workspaceMasks(ws, () => true, { maxMasks: 2 }),
      /SANDBOX_MASKS_FAILED|too many/,
    );
    await assert.rejects(
      workspaceMasks(ws, () => false, { maxEntries: 3 }),
      /more than 3 entries/,
    );
  });

  it('a policy that cannot be evaluated hides (fail closed)', () => {
    const h = hiddenCheck(
      {
        evaluate: () => {
          throw new Error('broken');
        },
      },
      't1',
    );
    assert.equal(h('src/main.ts', false), true);
  });

  it('the values in hidden files go to the sanitiser', async () => {
    const s = new Sanitiser();
    for (const v of hiddenValues(ws, await workspaceMasks(ws, hiddenCheck(engine, 't1', 'explore')))) s.addSecret(v);
    const out = s.sanitise(`a ${SECRETS.env} b ${SECRETS.key} c ${SECRETS.nested}`).text;
    assert.deepEqual(all(out), []);
    assert.match(out, /\[REDACTED:secret-value\]/);
  });
});

describe('finding masks in a large tree', () => {
  it('60,000 entries (one folder of 40,000): the event loop never stalls for 100 ms', async function () {
    this.timeout(60_000);
    this.retries(1); // a wall-clock bound on a loaded 2-core machine; a synchronous walk fails both runs
    const big = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-masks-big-'));
    fs.mkdirSync(path.join(big, 'flat'));
    for (let i = 0; i < 40_000; i++) fs.writeFileSync(path.join(big, 'flat', `f${i}.js`), '');
    for (let d = 0; d < 20; d++) {
      fs.mkdirSync(path.join(big, `d${d}`));
      for (let i = 0; i < 1000; i++) fs.writeFileSync(path.join(big, `d${d}`, `g${i}`), '');
    }
    fs.writeFileSync(path.join(big, 'd3', '.env'), 'A=b\n');
    const engine = createDefaultPolicyEngine('explore', { workspace: big });
    let last = performance.now();
    let worst = 0;
    const t = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 5);
    try {
      const m = await workspaceMasks(big, hiddenCheck(engine, 't1', 'explore'));
      assert.deepEqual(m.files, ['d3/.env']);
    } finally {
      clearInterval(t);
      engine.dispose();
      fs.rmSync(big, { recursive: true, force: true });
    }
    assert.ok(worst < 100, `the event loop stalled for ${worst.toFixed(1)} ms`);
  });
});
