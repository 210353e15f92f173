// The HTML shell of every Airlock webview: nonce CSP, our bundles inline, theme-aware base styles, an optional first screen.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { inlineText, jsonInScript } from './inline';
import { FIRST_SCREEN_ID, type FirstScreen, type HostToWebview, type ViewKind } from '../../../protocol/src/webview';

/** The only folder a webview may load from: our bundles and the copied @vscode-elements bundle live there. */
export function webviewRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')];
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, enableCommandUris: false, localResourceRoots: webviewRoots(extensionUri) };
}

export function newNonce(): string {
  return crypto
    .randomBytes(18)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '');
}

/**
 * Content-Security-Policy: no network, scripts only with this page's nonce, styles from our files (lit's constructable
 * stylesheets need no inline allowance), images from our files and data: (highlighting never needs remote images).
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/**
 * A webview's document. Its script and styles (and the @vscode-elements module) are inline, under this page's nonce:
 * a webview fetches each file it names through its service worker, the workbench and the extension host's file system
 * (in code-server a round trip over the network per file, before the script can start). `first`: host messages the
 * page shows before its ready handshake (FirstScreen), so its first screen needs no round trip either.
 */
export function renderHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  view: ViewKind,
  title: string,
  first?: HostToWebview[],
): string {
  const nonce = newNonce();
  const file = (...p: string[]) => vscode.Uri.joinPath(extensionUri, 'dist', 'webview', ...p);
  const url = (...p: string[]) => webview.asWebviewUri(file(...p)).toString();
  const style = (name: string) => {
    const text = inlineAsset(file(name));
    return text === null ? `<link rel="stylesheet" href="${url(name)}" nonce="${nonce}">` : `<style nonce="${nonce}">${text}</style>`;
  };
  const script = (module: boolean, ...p: string[]) => {
    const text = withMapUrl(inlineAsset(file(...p)), (name) => url(...p.slice(0, -1), name));
    const type = module ? ' type="module"' : '';
    return text === null
      ? `<script${type} nonce="${nonce}" src="${url(...p)}"></script>`
      : `<script${type} nonce="${nonce}">${text}</script>`;
  };
  const screen: FirstScreen | undefined = first?.length ? { key: newNonce(), messages: first } : undefined;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(webview.cspSource, nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(title)}</title>
${style(`${view}.css`)}
</head>
<body data-view="${view}">
<div id="app" role="application" aria-label="${escapeHtml(title)}"></div>
${screen ? `<script type="application/json" id="${FIRST_SCREEN_ID}">${jsonInScript(screen)}</script>\n` : ''}${script(true, 'vendor', 'vscode-elements.js')}
${script(false, `${view}.js`)}
</body>
</html>`;
}

/** A dev build's `//# sourceMappingURL=x.js.map`, made absolute: inline, a relative one resolves against the page. */
function withMapUrl(text: string | null, urlOf: (name: string) => string): string | null {
  return (
    text?.replace(/\n\/\/# sourceMappingURL=([\w.-]+\.map)\s*$/, (_m, name: string) => `\n//# sourceMappingURL=${urlOf(name)}\n`) ?? null
  );
}

/**
 * Each bundle's inline text, read once per build of it (a watch build replaces the file: its size or mtime changes).
 * null: it cannot sit inline (inlineText) or could not be read; the page then names the file, as it always did.
 */
const inlined = new Map<string, { stamp: string; text: string | null }>();
function inlineAsset(uri: vscode.Uri): string | null {
  try {
    const st = fs.statSync(uri.fsPath);
    const stamp = `${st.size}:${st.mtimeMs}`;
    const hit = inlined.get(uri.fsPath);
    if (hit?.stamp === stamp) return hit.text;
    const text = inlineText(fs.readFileSync(uri.fsPath, 'utf8'));
    inlined.set(uri.fsPath, { stamp, text });
    return text;
  } catch {
    return null;
  }
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
