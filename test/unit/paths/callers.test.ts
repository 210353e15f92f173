// The callers of confinePath agree with each other, and the edge cases where they used to disagree take the stricter side.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { safeTarget } from '../../../core/src/apply/apply';
import { normalisePathLexical } from '../../../core/src/policy/normalise';
import { TaskVolume } from '../../../kernel/src/agent/task-volume';
import { resolveReplayFile } from '../../../kernel/src/agent/task-provider';
import { checkOwnFolder } from '../../../kernel/src/own-folder';
import type { OutputVolume } from '../../../kernel/src/patches/volumes';
import { maskMounts } from '../../../kernel/src/runtime/sandbox-masks';
import { components } from '../../../kernel/src/workspace/safe-open';
import { resolveInWorkspace } from '../../../kernel/src/workspace/paths';
import type { Assets } from '../../../protocol/src/node/assets';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import { patchPathProblem } from '../../../protocol/src/patches';

const code = (e: unknown) => (e instanceof AirlockError ? e.code : String(e));
const tmp = (p: string) => fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), p)));

describe('path confinement callers agree', () => {
  it('the policy judges exactly the path the tools open (same acceptance, same folded path)', () => {
    const piece = fc.constantFrom('a', 'src', '.', '..', '', '\\', '..\\x', 'u\u0308', '\u00fc', '\t', '\n', '\0', '\u202E', 'C:');
    const rel = fc
      .array(piece, { minLength: 1, maxLength: 8 })
      .map((p) => p.join('/'))
      .filter((s) => s !== '');
    fc.assert(
      fc.property(rel, (input) => {
        const policy = normalisePathLexical(input);
        let opened: string | undefined;
        try {
          opened = components(input).join('/') || '.';
        } catch (e) {
          assert.equal(code(e), ErrorCodes.PathOutsideWorkspace);
        }
        // An absolute path is a policy resource of its own (`/etc/**` rules); the tools never open one.
        const relative = policy.ok && !policy.absolute;
        assert.equal(relative, opened !== undefined, JSON.stringify(input));
        if (relative) assert.equal(policy.value, opened, JSON.stringify(input));
      }),
      { numRuns: 2000 },
    );
  });

  it('tools refuse control characters as the policy does (safe-open accepted them)', () => {
    for (const p of ['a\tb', 'nl\n.ts', 'del\x7f']) {
      const refused = (e: unknown) => code(e) === ErrorCodes.PathOutsideWorkspace && /control character/.test((e as Error).message);
      assert.throws(() => components(p), refused, p);
      assert.equal(normalisePathLexical(p).ok, false);
    }
    assert.deepEqual(components(''), [], 'the root, as internal callers pass it');
  });

  it('patch path messages are unchanged', () => {
    const cases: Array<[string, string | undefined]> = [
      ['src/a.ts', undefined],
      ['', 'empty path'],
      ['a\0b', 'path contains a NUL byte'],
      ['/etc/x', 'absolute path'],
      ['a\\b', 'path contains a backslash (a separator on Windows hosts)'],
      ['a//b', 'path has an empty segment'],
      ['a/../b', 'path has a ".." segment'],
      ['./a', 'path has a "." segment'],
      ['\u00e9'.repeat(2049), 'path is longer than 4096 bytes'],
    ];
    for (const [p, want] of cases) assert.equal(patchPathProblem(p), want, JSON.stringify(p.slice(0, 20)));
  });
});

describe('stricter where callers disagreed', () => {
  const ws = tmp('airlock-confine-ws-');
  fs.mkdirSync(path.join(ws, 'src'));
  fs.writeFileSync(path.join(ws, 'src', 'a.ts'), 'x');
  after(() => fs.rmSync(ws, { recursive: true, force: true }));

  it('a workspace read that climbs out and back in is refused (the policy and the tools refused it already)', () => {
    const back = `src/../../${path.basename(ws)}/src/a.ts`;
    assert.throws(
      () => resolveInWorkspace(ws, back),
      (e) => code(e) === ErrorCodes.PathOutsideWorkspace,
    );
    assert.equal(normalisePathLexical(back).ok, false);
    assert.throws(
      () => components(back),
      (e) => code(e) === ErrorCodes.PathOutsideWorkspace,
    );
    assert.equal(resolveInWorkspace(ws, 'src/../src/a.ts').rel, path.join('src', 'a.ts'));
    assert.equal(resolveInWorkspace(ws, path.join(ws, 'src/a.ts')).rel, path.join('src', 'a.ts'));
  });

  it('the task volume refuses a backslash instead of writing a path the policy never judged', async () => {
    const out = tmp('airlock-confine-out-');
    try {
      fs.mkdirSync(path.join(out, 'upper'));
      const vol = { id: 'c', volumeName: 'c', kind: 'overlay', dir: out, quotaBytes: 1 << 30, baselineBytes: 0 } as OutputVolume;
      const tv = new TaskVolume(vol, ws, async () => {});
      const signal = new AbortController().signal;
      // The policy reads `src\b.ts` as one name; the volume used to write src/b.ts.
      assert.equal((normalisePathLexical('src\\b.ts') as { value: string }).value, 'src\\b.ts');
      await assert.rejects(tv.write('src\\b.ts', 'x', signal), (e) => code(e) === ErrorCodes.PathOutsideWorkspace);
      assert.deepEqual(fs.readdirSync(path.join(out, 'upper')), []);
      await tv.write('./src//b.ts', 'y', signal);
      assert.equal(fs.readFileSync(path.join(out, 'upper', 'src', 'b.ts'), 'utf8'), 'y');
      await assert.rejects(tv.write('src/../../x', 'x', signal), (e) => code(e) === ErrorCodes.PathOutsideWorkspace);
      await assert.rejects(tv.write('.', 'x', signal), (e) => code(e) === ErrorCodes.PathOutsideWorkspace);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('the host applier refuses bidi, zero-width and control characters as the kernel does', () => {
    for (const p of ['tab\there.ts', 'src/\u202Egnp.exe', 'a\u200Bb.ts']) {
      assert.throws(
        () => safeTarget(ws, p),
        (e) =>
          code(e) === 'PATCH_UNSAFE_PATH' &&
          /contains U\+[0-9A-F]{4}/.test((e as Error).message) &&
          !/[\t\u202E\u200B]/.test((e as Error).message),
        JSON.stringify(p),
      );
    }
    assert.equal(safeTarget(ws, 'src/new.ts'), path.join(ws, 'src/new.ts'));
    assert.throws(
      () => safeTarget(ws, '../x'),
      (e) => code(e) === 'PATCH_UNSAFE_PATH',
    );
  });
});

describe('absolute containment through confinePath', () => {
  const root = tmp('airlock-confine-abs-');
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('own folder: a sibling sharing the prefix is outside; a name starting with .. is inside', () => {
    const dir = path.join(root, 'kernel');
    fs.mkdirSync(dir);
    fs.mkdirSync(path.join(root, 'kernel-evil'));
    for (const f of ['..kernel.js', 'kernel.js']) fs.writeFileSync(path.join(dir, f), '');
    fs.writeFileSync(path.join(root, 'kernel-evil', 'kernel.js'), '');
    const a = { kernelDir: dir, layout: 'sources' } as Assets;
    assert.equal(checkOwnFolder(path.join(dir, 'kernel.js'), a, false), dir);
    assert.equal(checkOwnFolder(path.join(dir, '..kernel.js'), a, false), dir);
    assert.throws(() => checkOwnFolder(path.join(root, 'kernel-evil', 'kernel.js'), a, false), /not inside the folder/);
  });

  it('replay files: absolute ones only under the examples folder, not the folder itself or a sibling', () => {
    const ex = path.join(root, 'examples');
    fs.mkdirSync(ex);
    fs.mkdirSync(path.join(root, 'examples2'));
    fs.writeFileSync(path.join(ex, 'r.jsonl'), '');
    fs.writeFileSync(path.join(root, 'examples2', 'r.jsonl'), '');
    const env = { AIRLOCK_EXAMPLES_DIR: ex };
    assert.equal(resolveReplayFile(path.join(ex, 'r.jsonl'), root, env), path.join(ex, 'r.jsonl'));
    for (const p of [ex, path.join(root, 'examples2', 'r.jsonl')]) {
      assert.throws(
        () => resolveReplayFile(p, root, env),
        (e) => code(e) === ErrorCodes.PathOutsideWorkspace,
        p,
      );
    }
  });

  it('sandbox masks take any name but NUL, never a folded or absolute form', () => {
    const m = maskMounts('/workspace', { files: ['a\nb/.env'], dirs: ['secret'] });
    assert.deepEqual(
      m.mounts.map((x) => x.target),
      ['/workspace/a\nb/.env'],
    );
    for (const bad of ['', '/etc', 'a/../b', './a', 'a//b', 'a\0b']) {
      assert.throws(
        () => maskMounts('/workspace', { files: [bad], dirs: [] }),
        (e) => code(e) === 'SANDBOX_BAD_MASK',
        JSON.stringify(bad),
      );
    }
  });
});
