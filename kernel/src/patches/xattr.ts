// Overlay xattrs of an upper dir (opaque dirs, metacopy, redirects), read in one `getfattr -R` run.
import { execFile } from 'node:child_process';
import * as path from 'node:path';

export interface OverlayAttrs { opaque: Set<string>; metacopy: Set<string>; redirect: Set<string>; available: boolean }

/** Decodes getfattr's octal escapes (`\012` for a newline in a name) back into bytes. */
function unescape(s: string): string {
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && /^[0-7]{3}$/.test(s.slice(i + 1, i + 4))) { bytes.push(parseInt(s.slice(i + 1, i + 4), 8)); i += 3; continue; }
    if (s[i] === '\\' && s[i + 1] === '\\') { bytes.push(0x5c); i++; continue; }
    bytes.push(...Buffer.from(s[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Parses `getfattr -R -d -m overlay -e hex --absolute-names` output into relative paths per attribute. */
export function parseGetfattr(out: string, root: string): Omit<OverlayAttrs, 'available'> {
  const r = { opaque: new Set<string>(), metacopy: new Set<string>(), redirect: new Set<string>() };
  let file = '';
  for (const line of out.split('\n')) {
    if (line.startsWith('# file: ')) { file = path.relative(root, unescape(line.slice(8))).split(path.sep).join('/'); continue; }
    const m = /^(?:trusted|user)\.overlay\.(opaque|metacopy|redirect)=(.*)$/.exec(line);
    if (!m || !file) continue;
    if (m[1] === 'opaque' && (m[2] === '0x79' || m[2] === '"y"')) r.opaque.add(file);
    else if (m[1] === 'metacopy') r.metacopy.add(file);
    else if (m[1] === 'redirect') r.redirect.add(file);
  }
  return r;
}

export function readOverlayAttrs(upper: string, signal?: AbortSignal): Promise<OverlayAttrs> {
  return new Promise((resolve, reject) => {
    execFile('getfattr', ['-R', '-d', '-m', '^(trusted|user)\\.overlay\\.', '-e', 'hex', '--absolute-names', '--', upper],
      { maxBuffer: 256 * 1024 * 1024, signal, encoding: 'utf8' }, (err, stdout) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return resolve({ opaque: new Set(), metacopy: new Set(), redirect: new Set(), available: false });
        if (err && signal?.aborted) return reject(err);
        // getfattr exits non-zero when some file has no matching attribute on some systems; the output still counts.
        resolve({ ...parseGetfattr(stdout ?? '', upper), available: true });
      });
  });
}
