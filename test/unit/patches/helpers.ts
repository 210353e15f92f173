// Temp trees for patch tests: write files, make overlay whiteouts (mknod, root) and clean up.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function tempDir(prefix = 'airlock-patch-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeTree(root: string, files: Record<string, string | Buffer>, mode?: number): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
    if (mode !== undefined) fs.chmodSync(p, mode);
  }
}

export function whiteout(upper: string, rel: string): void {
  const p = path.join(upper, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  execFileSync('mknod', [p, 'c', '0', '0']);
}

export function opaque(upper: string, rel: string): void {
  fs.mkdirSync(path.join(upper, rel), { recursive: true });
  execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', path.join(upper, rel)]);
}

export function rm(...dirs: string[]): void {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}

/** Every regular file under root (relative path → content), symlinks as `-> target`. */
export function readTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(path.join(root, r));
      if (st.isDirectory()) walk(r);
      else if (st.isSymbolicLink()) out[r] = `-> ${fs.readlinkSync(path.join(root, r))}`;
      else out[r] = fs.readFileSync(path.join(root, r)).toString('base64') + ` ${(st.mode & 0o777).toString(8)}`;
    }
  };
  walk('');
  return out;
}
