// Error formatting and the kernel's workspace path resolution.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AirlockError, ErrorCodes, formatError } from '../../protocol/src/errors';
import { resolveInWorkspace } from '../../kernel/src/workspace/paths';

describe('errors', () => {
  it('formats code, message and hint; wraps foreign errors', () => {
    assert.equal(formatError(new AirlockError('X_Y', 'broke', 'fix it')), 'error X_Y: broke\n  hint: fix it');
    assert.equal(formatError(new Error('plain')), `error ${ErrorCodes.Internal}: plain`);
    assert.equal(formatError('str'), `error ${ErrorCodes.Internal}: str`);
    const e = AirlockError.fromPayload(new AirlockError('A', 'b', 'c', { n: 1 }).toPayload());
    assert.deepEqual([e.code, e.message, e.hint, e.details], ['A', 'b', 'c', { n: 1 }]);
  });
});

describe('workspace paths', () => {
  const ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-ws-')));
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-out-'));
  fs.mkdirSync(path.join(ws, 'src'));
  fs.writeFileSync(path.join(ws, 'src', 'a.ts'), 'x');
  fs.writeFileSync(path.join(outside, 'secret'), 's');
  fs.symlinkSync(path.join(outside, 'secret'), path.join(ws, 'link'));

  it('maps relative, dotted and absolute-inside paths to the same file', () => {
    for (const p of ['src/a.ts', './src//a.ts', 'src/../src/a.ts', path.join(ws, 'src/a.ts')]) {
      assert.equal(resolveInWorkspace(ws, p).rel, path.join('src', 'a.ts'), p);
    }
  });

  it('refuses escapes: .., absolute outside, symlinks out, NUL', () => {
    for (const p of ['../x', '/etc/passwd', 'link', 'src/\0a']) {
      assert.throws(
        () => resolveInWorkspace(ws, p),
        (e: AirlockError) => e.code === ErrorCodes.PathOutsideWorkspace,
        p,
      );
    }
  });

  it('says not found for missing files inside', () => {
    assert.throws(
      () => resolveInWorkspace(ws, 'src/missing.ts'),
      (e: AirlockError) => e.code === ErrorCodes.NotFound,
    );
  });
});
