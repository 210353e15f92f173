// Marks decided hunks in proposed editors with decorations, painted as soon as the kernel has recorded the decision.
import * as vscode from 'vscode';
import { Disposable } from '../../../protocol/src/lifecycle';
import type { MergeConflict } from '../../../protocol/src/patches';
import { type HunkMark, hunkMarks } from './patchItems';
import { parsePatchUriPath, PATCH_SCHEME } from './proposed';
import type { ReviewClient } from './reviewClient';

const STYLE: Record<HunkMark['state'], { text: string; color: string; ruler: string }> = {
  accepted: { text: '✓ accepted', color: 'gitDecoration.addedResourceForeground', ruler: 'editorOverviewRuler.addedForeground' },
  rejected: { text: '✗ rejected', color: 'gitDecoration.deletedResourceForeground', ruler: 'editorOverviewRuler.deletedForeground' },
  conflicted: {
    text: '⚠ conflicted: resolve in the merge editor',
    color: 'list.warningForeground',
    ruler: 'editorOverviewRuler.warningForeground',
  },
};
const STATES = Object.keys(STYLE) as HunkMark['state'][];

/**
 * The CodeLens above a hunk says the same, but VS Code repaints a changed lens half a second or more after the
 * provider signals it (two debounced passes): the decoration is what shows the click took. It paints only what the
 * kernel returned (the cached set, updated by review/decide's answer), never an optimistic guess.
 */
export class HunkDecorations extends Disposable {
  private readonly types: Record<HunkMark['state'], vscode.TextEditorDecorationType>;

  constructor(
    private readonly client: ReviewClient,
    private readonly conflicts: (setId: string) => readonly MergeConflict[],
    private readonly isStale: (uri: vscode.Uri) => boolean,
  ) {
    super();
    this.types = Object.fromEntries(
      STATES.map((s) => {
        const t = vscode.window.createTextEditorDecorationType({
          isWholeLine: true,
          overviewRulerColor: new vscode.ThemeColor(STYLE[s].ruler),
          overviewRulerLane: vscode.OverviewRulerLane.Left,
          after: { contentText: `  ${STYLE[s].text}`, color: new vscode.ThemeColor(STYLE[s].color), fontStyle: 'italic' },
        });
        this._register(t);
        return [s, t];
      }),
    ) as Record<HunkMark['state'], vscode.TextEditorDecorationType>;
    this._register(vscode.window.onDidChangeVisibleTextEditors((eds) => this.paint(undefined, eds)));
  }

  /** Repaints the proposed editors (of one set, or all) from what the kernel last said about their sets. */
  paint(setId?: string, editors: readonly vscode.TextEditor[] = vscode.window.visibleTextEditors): void {
    for (const ed of editors) {
      const uri = ed.document.uri;
      if (uri.scheme !== PATCH_SCHEME || uri.query !== 'proposed') continue;
      const p = parsePatchUriPath(uri.path);
      if (!p || (setId && p.setId !== setId)) continue;
      const shown = this.client.cached(p.setId);
      const f = shown?.set.files.find((x) => x.path === p.path);
      const marks =
        shown && f && !this.isStale(uri)
          ? hunkMarks({ review: shown.review, done: shown.done, conflicts: this.conflicts(p.setId) }, f)
          : [];
      const last = Math.max(0, ed.document.lineCount - 1);
      for (const s of STATES)
        ed.setDecorations(
          this.types[s],
          marks.filter((m) => m.state === s).map((m) => new vscode.Range(Math.min(m.line, last), 0, Math.min(m.line, last), 0)),
        );
    }
  }
}
