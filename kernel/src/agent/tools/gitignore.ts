// .gitignore semantics (per-directory files, negation, dir-only and anchored patterns) compiled to regular expressions.
import picomatch from 'picomatch';

interface Rule {
  re: RegExp;
  negate: boolean;
  dirOnly: boolean;
}

/** The rules of one .gitignore file, relative to the directory that holds it. */
export class IgnoreFile {
  private readonly rules: Rule[] = [];
  /** `text` is kept so a worker thread can rebuild the same rules from it. */
  constructor(
    readonly baseRel: string,
    readonly text: string,
  ) {
    for (const raw of text.split(/\r?\n/)) {
      let p = raw.replace(/(?<!\\)\s+$/, '');
      if (!p || p.startsWith('#')) continue;
      let negate = false;
      if (p.startsWith('!')) {
        negate = true;
        p = p.slice(1);
      } else if (p.startsWith('\\!') || p.startsWith('\\#')) p = p.slice(1);
      let dirOnly = false;
      if (p.endsWith('/')) {
        dirOnly = true;
        p = p.slice(0, -1);
      }
      if (!p) continue;
      // A slash at the start or in the middle anchors the pattern to this directory; otherwise it matches at any depth.
      const anchored = p.includes('/');
      if (p.startsWith('/')) p = p.slice(1);
      const glob = anchored ? p : `**/${p}`;
      this.rules.push({ re: picomatch.makeRe(glob, { dot: true }), negate, dirOnly });
    }
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** undefined = no rule matched; true = ignored; false = re-included by a negation. `rel` is relative to baseRel. */
  decide(rel: string, isDir: boolean): boolean | undefined {
    let out: boolean | undefined;
    for (const r of this.rules) if ((!r.dirOnly || isDir) && r.re.test(rel)) out = !r.negate;
    return out;
  }
}

/** The stack of .gitignore files from the root down to one directory; deeper files override shallower ones. */
export function isIgnored(stack: readonly IgnoreFile[], relPath: string, isDir: boolean): boolean {
  for (let i = stack.length - 1; i >= 0; i--) {
    const f = stack[i];
    const rel = f.baseRel ? relPath.slice(f.baseRel.length + 1) : relPath;
    const d = f.decide(rel, isDir);
    if (d !== undefined) return d;
  }
  return false;
}
