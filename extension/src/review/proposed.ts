// Pure helpers for the diff review: proposed text from base + hunks, hunk positions for CodeLens, review URIs.
import { applyPatch } from 'diff';
import type { FilePatch, Hunk } from '../../../protocol/src/patches';

export const PATCH_SCHEME = 'airlock-patch';

/** `airlock-patch:/<setId>/<path>?proposed` — path segments are URI-encoded by vscode.Uri itself. */
export function patchUriParts(setId: string, path: string): { scheme: string; path: string; query: string } {
  return { scheme: PATCH_SCHEME, path: `/${setId}/${path}`, query: 'proposed' };
}

export function parsePatchUriPath(uriPath: string): { setId: string; path: string } | undefined {
  const m = /^\/(ps_[a-z0-9_]{4,64})\/(.+)$/s.exec(uriPath);
  return m ? { setId: m[1]!, path: m[2]! } : undefined;
}

/** The file's proposed text: base with the given hunks applied (all of them by default); undefined when they do not apply. */
export function proposedText(base: string, hunks: readonly Hunk[]): string | undefined {
  if (hunks.length === 0) return base;
  const out = applyPatch(
    base,
    { oldFileName: 'a', newFileName: 'b', oldHeader: '', newHeader: '', hunks: hunks.map((h) => ({ ...h, lines: [...h.lines] })) },
    { fuzzFactor: 0 },
  );
  return out === false ? undefined : out;
}

/** Zero-based line in the proposed text where each hunk's change starts (for CodeLens placement). */
export function hunkAnchorLines(hunks: readonly Hunk[]): { hunkId: string; line: number }[] {
  return hunks.map((h) => {
    const firstChange = h.lines.findIndex((l) => l.startsWith('+') || l.startsWith('-'));
    let line = Math.max(0, h.newStart - 1);
    for (let i = 0; i < firstChange; i++) if (h.lines[i]!.startsWith(' ')) line++;
    return { hunkId: h.id, line };
  });
}

export function fileStats(f: FilePatch): { added: number; removed: number } {
  switch (f.type) {
    case 'modify':
      return { added: f.added, removed: f.removed };
    case 'add':
      return { added: f.added, removed: 0 };
    case 'delete':
      return { added: 0, removed: f.removed };
    case 'rename':
    case 'mode':
    case 'binary':
      return { added: 0, removed: 0 };
    default: {
      const never: never = f;
      return never;
    }
  }
}

export function fileHunks(f: FilePatch): Hunk[] {
  return f.type === 'modify' || f.type === 'add' || f.type === 'delete' ? f.hunks : [];
}
