// The editor's side of #selection and #problems: the active selection and the diagnostics, relative to Airlock's folder.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EditorContext } from './context';

const SEVERITY = ['error', 'warning', 'info', 'hint'];

/** Paths relative to `root` (Airlock's folder); anything outside it is not offered. */
export function vscodeEditorContext(root: vscode.Uri | undefined): EditorContext {
  const rel = (uri: vscode.Uri): string | undefined => {
    if (!root || uri.scheme !== 'file') return undefined;
    const r = path.relative(root.fsPath, uri.fsPath);
    return !r || r.startsWith('..') || path.isAbsolute(r) ? undefined : r.split(path.sep).join('/');
  };
  return {
    selection() {
      const ed = vscode.window.activeTextEditor;
      const p = ed && rel(ed.document.uri);
      if (!ed || !p || ed.selection.isEmpty) return undefined;
      return {
        path: p,
        startLine: ed.selection.start.line + 1,
        endLine: ed.selection.end.line + 1,
        text: ed.document.getText(ed.selection),
      };
    },
    problems() {
      const out: ReturnType<EditorContext['problems']> = [];
      for (const [uri, diags] of vscode.languages.getDiagnostics()) {
        const p = rel(uri);
        if (!p) continue;
        for (const d of diags)
          out.push({ path: p, line: d.range.start.line + 1, severity: SEVERITY[d.severity] ?? 'info', message: d.message });
      }
      // Errors first: when the list is cut, the warnings go.
      return out.sort((a, b) => SEVERITY.indexOf(a.severity) - SEVERITY.indexOf(b.severity));
    },
  };
}
