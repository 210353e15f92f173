// The extension↔webview message protocol: both directions validate, and bad input is refused with a readable reason.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { HostToWebview, parseHostMessage, parseWebviewMessage, WebviewPersistedState } from '../../../protocol/src/webview';

const entry = {
  seq: 1,
  time: 1,
  session: null,
  subject: 'kernel',
  action: 'kernel.start',
  resource: '',
  decision: null,
  ruleIds: [],
  payloadDigest: 'a'.repeat(64),
  payload: null,
  prevHash: '0'.repeat(64),
  hash: 'b'.repeat(64),
};

describe('webview protocol', () => {
  it('accepts every webview → host message the views send', () => {
    const ok = [
      { type: 'ready', view: 'chat' },
      { type: 'chat/send', text: 'fix the bug' },
      { type: 'chat/stop' },
      { type: 'chat/retry' },
      { type: 'chat/new' },
      { type: 'chat/openSession', sessionId: 's_1' },
      { type: 'chat/approve', requestId: 'r1', answer: 'allow-once' },
      { type: 'chat/approve', requestId: 'r1', answer: 'deny', note: 'no network' },
      { type: 'chat/setMode', mode: 'debug' },
      { type: 'chat/openPatchSet', setId: 'ps_abcd' },
      { type: 'audit/query', request: { requestId: 3, filter: { action: 'patch.*' }, cursor: 100, limit: 200 } },
      { type: 'audit/verify' },
      { type: 'audit/entry', seq: 5 },
      { type: 'audit/refresh' },
    ];
    for (const m of ok) assert.equal(parseWebviewMessage(m).ok, true, JSON.stringify(m));
  });

  it('refuses unknown types, wrong shapes and oversized input, naming the field', () => {
    const bad: [unknown, RegExp][] = [
      [{ type: 'chat/exec', cmd: 'rm -rf /' }, /type|Invalid/i],
      [{ type: 'ready', view: 'settings' }, /view/],
      [{ type: 'chat/send', text: '' }, /text/],
      [{ type: 'chat/send', text: 'x'.repeat(200_001) }, /text/],
      [{ type: 'chat/approve', requestId: 'r1', answer: 'allow-forever' }, /answer/],
      [{ type: 'audit/query', request: { requestId: 1, filter: {}, limit: 10_000 } }, /limit/],
      [{ type: 'audit/entry', seq: 0 }, /seq/],
      ['not an object', /root|Invalid/i],
      [null, /root|Invalid/i],
    ];
    for (const [m, re] of bad) {
      const r = parseWebviewMessage(m);
      assert.equal(r.ok, false, JSON.stringify(m));
      if (!r.ok) assert.match(r.error, re);
    }
  });

  it('validates host → webview messages, including the entries and ops they carry', () => {
    assert.equal(parseHostMessage({ type: 'audit/page', requestId: 1, entries: [entry] }).ok, true);
    assert.equal(parseHostMessage({ type: 'audit/page', requestId: 1, entries: [{ ...entry, hash: 'nothex' }] }).ok, false);
    assert.equal(parseHostMessage({ type: 'chat/ops', sessionId: 's', ops: [{ type: 'append', id: 'a1', text: 'hi' }] }).ok, true);
    assert.equal(
      parseHostMessage({ type: 'chat/ops', sessionId: 's', ops: [{ type: 'upsert', item: { type: 'html', id: 'x', html: '<script>' } }] })
        .ok,
      false,
    );
    assert.throws(() => HostToWebview.parse({ type: 'error' }));
  });

  it('persisted state rejects a foreign view and keeps only known fields', () => {
    assert.equal(WebviewPersistedState.safeParse({ view: 'chat', draft: 'half a prompt', scrollTop: 120 }).success, true);
    assert.equal(WebviewPersistedState.safeParse({ view: 'other' }).success, false);
    const r = WebviewPersistedState.parse({ view: 'audit', filter: { action: 'policy.' }, extra: 1 });
    assert.deepEqual(r, { view: 'audit', filter: { action: 'policy.' } });
  });
});
