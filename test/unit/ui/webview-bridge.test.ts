// The host side of a webview's messages (extension/src/webview/bridge.ts): a bridge whose HTML is set later ignores the
// page it replaces; the ready handshake says whether the page showed the first screen its HTML carried.
import assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import { WebviewBridge } from '../../../extension/src/webview/bridge';

function fakeWebview() {
  let listener: ((m: unknown) => void) | undefined;
  const posted: unknown[] = [];
  const webview = {
    onDidReceiveMessage: (l: (m: unknown) => void) => ((listener = l), { dispose: () => (listener = undefined) }),
    postMessage: async (m: unknown) => (posted.push(m), true),
  } as unknown as vscode.Webview;
  return { webview, posted, send: (m: unknown) => listener?.(m) };
}
const log = { warn: () => undefined, error: () => undefined } as unknown as vscode.LogOutputChannel;

describe('webview bridge: HTML set later, first screen seeded', () => {
  it("drops what the replaced page says until its own HTML is set, then counts the new page's handshake", () => {
    const w = fakeWebview();
    const bridge = new WebviewBridge(w.webview, 'audit', log, { htmlLater: true });
    const readies: boolean[] = [];
    const msgs: string[] = [];
    bridge.onReady((r) => readies.push(r.seeded));
    bridge.onMessage((m) => msgs.push(m.type));
    bridge.post({ type: 'audit/verification', report: null, running: true });
    // The old page, still on screen while the first screen is read.
    w.send({ type: 'ready', view: 'audit', seeded: true });
    w.send({ type: 'audit/refresh' });
    assert.deepEqual(readies, [], "the old page's ready is not this page's");
    assert.deepEqual(msgs, []);
    assert.deepEqual(w.posted, [], 'nothing is sent to a page that is not ready');

    bridge.opened();
    w.send({ type: 'ready', view: 'audit', seeded: true });
    w.send({ type: 'audit/refresh' });
    assert.deepEqual(readies, [true]);
    assert.deepEqual(msgs, ['audit/refresh']);
    assert.equal(w.posted.length, 1, 'the queued message goes once the page is ready');
    bridge.dispose();
  });

  it('counts every message of a bridge whose HTML is set at once; a ready without `seeded` is not seeded', () => {
    const w = fakeWebview();
    const bridge = new WebviewBridge(w.webview, 'chat', log);
    const readies: boolean[] = [];
    bridge.onReady((r) => readies.push(r.seeded));
    w.send({ type: 'ready', view: 'chat' });
    assert.deepEqual(readies, [false]);
    bridge.dispose();
  });
});
