// Git-style export of a patch set: unified diffs plus git binary patches (zlib + base85) that stock `git apply` applies.
import * as zlib from 'node:zlib';
import { AirlockError } from '../../../protocol/src/errors';
import { sha256 } from '../../../core/src/apply/file-hash';
import type { FilePatch, Hunk, PatchSet } from '../../../protocol/src/patches';

export interface ExportSources {
  /** New content of a full-file patch (verified against its hash here). */
  readNew(f: Extract<FilePatch, { type: 'binary' }>): Buffer;
}

export const MAX_EXPORT_BINARY_BYTES = 64 * 1024 * 1024;
const ZERO_ID = '0'.repeat(40);
const B85 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~';

const gitMode = (m: number) => (m & 0o111 ? '100755' : '100644');

/** C-style quoting as git does for names with control, quote, backslash, space or non-ASCII bytes. */
export function quotePath(prefix: string, p: string): string {
  const s = prefix + p;
  if (!/[\x00-\x20"\\\x7f-\uffff]/.test(s)) return s;
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (c === '"' || c === '\\') out += '\\' + c;
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x0d) out += '\\r';
    else if (b < 0x20 || b >= 0x7f) out += '\\' + b.toString(8).padStart(3, '0');
    else out += c;
  }
  return out + '"';
}

function hunkText(h: Hunk): string {
  const range = (start: number, len: number) => `${len === 0 ? start - 1 : start}${len === 1 ? '' : ',' + len}`;
  return `@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@\n` + h.lines.map((l) => l + '\n').join('');
}

export function base85(data: Buffer): string {
  let out = '';
  for (let i = 0; i < data.length; i += 4) {
    let v = ((data[i] << 24) | ((data[i + 1] ?? 0) << 16) | ((data[i + 2] ?? 0) << 8) | (data[i + 3] ?? 0)) >>> 0;
    let chunk = '';
    for (let k = 0; k < 5; k++) {
      chunk = B85[v % 85] + chunk;
      v = Math.floor(v / 85);
    }
    out += chunk;
  }
  return out;
}

/** One `literal` hunk of a git binary patch: deflated data in lines of at most 52 bytes. */
export function binaryLiteral(content: Buffer): string {
  const z = zlib.deflateSync(content);
  let out = `literal ${content.length}\n`;
  for (let i = 0; i < z.length; i += 52) {
    const part = z.subarray(i, i + 52);
    const n = part.length;
    out +=
      (n <= 26 ? String.fromCharCode(64 + n) : String.fromCharCode(96 + n - 26)) +
      base85(Buffer.concat([part, Buffer.alloc((4 - (n % 4)) % 4)])) +
      '\n';
  }
  return out + '\n';
}

export function exportGit(set: PatchSet, src: ExportSources): string {
  let out = '';
  for (const f of set.files) out += exportFile(f, src);
  return out;
}

function exportFile(f: FilePatch, src: ExportSources): string {
  const a = quotePath('a/', f.type === 'rename' ? f.from : f.path);
  const b = quotePath('b/', f.path);
  let head = `diff --git ${a} ${b}\n`;
  switch (f.type) {
    case 'modify':
      if (gitMode(f.oldMode) !== gitMode(f.newMode)) head += `old mode ${gitMode(f.oldMode)}\nnew mode ${gitMode(f.newMode)}\n`;
      return head + `--- ${a}\n+++ ${b}\n` + f.hunks.map(hunkText).join('');
    case 'add':
      head += `new file mode ${gitMode(f.newMode)}\n`;
      return f.hunks.length ? head + `--- /dev/null\n+++ ${b}\n` + f.hunks.map(hunkText).join('') : head;
    case 'delete': {
      head += `deleted file mode ${f.symlink ? '120000' : gitMode(f.oldMode)}\n`;
      if (f.symlink) return head + `--- ${a}\n+++ /dev/null\n@@ -1 +0,0 @@\n-${f.linkTarget ?? ''}\n\\ No newline at end of file\n`;
      if (f.hunks.length) return head + `--- ${a}\n+++ /dev/null\n` + f.hunks.map(hunkText).join('');
      if (f.baseHash === sha256('')) return head;
      if (!f.gitOld) throw new AirlockError('PATCH_EXPORT_FAILED', `${f.path}: no git id recorded for the deleted binary file`);
      return head + `index ${f.gitOld}..${ZERO_ID}\nGIT binary patch\n` + binaryLiteral(Buffer.alloc(0));
    }
    case 'rename':
      if (gitMode(f.oldMode) !== gitMode(f.newMode)) head += `old mode ${gitMode(f.oldMode)}\nnew mode ${gitMode(f.newMode)}\n`;
      return head + `similarity index 100%\nrename from ${quotePath('', f.from)}\nrename to ${quotePath('', f.path)}\n`;
    case 'mode':
      return gitMode(f.oldMode) === gitMode(f.newMode) ? '' : head + `old mode ${gitMode(f.oldMode)}\nnew mode ${gitMode(f.newMode)}\n`;
    case 'binary': {
      if (f.size > MAX_EXPORT_BINARY_BYTES) {
        throw new AirlockError(
          'PATCH_EXPORT_TOO_LARGE',
          `${f.path} is ${f.size} bytes; git binary patches are limited to ${MAX_EXPORT_BINARY_BYTES} bytes here`,
          'merge it with `airlock review merge` instead, or reject it',
        );
      }
      const content = src.readNew(f);
      if (sha256(content) !== f.newHash)
        throw new AirlockError('PATCH_SOURCE_CHANGED', `${f.path} changed in the sandbox output since the patch set was made`);
      if (f.oldMode === null) head += `new file mode ${gitMode(f.newMode)}\nindex ${ZERO_ID}..${f.gitNew}\n`;
      else if (gitMode(f.oldMode) !== gitMode(f.newMode))
        head += `old mode ${gitMode(f.oldMode)}\nnew mode ${gitMode(f.newMode)}\nindex ${f.gitOld}..${f.gitNew}\n`;
      else head += `index ${f.gitOld}..${f.gitNew} ${gitMode(f.newMode)}\n`;
      return head + 'GIT binary patch\n' + binaryLiteral(content);
    }
    default: {
      const never: never = f;
      throw new Error(`unknown file patch ${JSON.stringify(never)}`);
    }
  }
}
