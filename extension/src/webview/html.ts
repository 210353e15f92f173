// The HTML shell of every Airlock webview: nonce CSP, resources only from dist/webview, theme-aware base styles.
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { ViewKind } from '../../../protocol/src/webview';

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

export function renderHtml(webview: vscode.Webview, extensionUri: vscode.Uri, view: ViewKind, title: string): string {
  const nonce = newNonce();
  const asset = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', ...p)).toString();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(webview.cspSource, nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${asset(`${view}.css`)}" nonce="${nonce}">
</head>
<body data-view="${view}">
<div id="app" role="application" aria-label="${escapeHtml(title)}"></div>
<script type="module" nonce="${nonce}" src="${asset('vendor', 'vscode-elements.js')}"></script>
<script nonce="${nonce}" src="${asset(`${view}.js`)}"></script>
</body>
</html>`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
