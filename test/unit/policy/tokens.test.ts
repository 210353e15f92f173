// Capability tokens: issue/verify, scope, expiry, replay, forgery, persistence of key and nonce.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ModeEngines } from '../../../kernel/src/agent/task-policy';
import { createKernelPolicyEngine, TOKEN_KEY_NAME } from '../../../core/src/policy/defaults';
import { TokenService } from '../../../core/src/policy/tokens';
import { engineFor, newKey, req, tempDir } from './helpers';

const scope = { subject: 'agent:a', action: 'fs.write', resource: 'src/**', ttlMs: 60_000 };
const at = { subject: 'agent:a', action: 'fs.write', resource: 'src/x.ts', absolute: false };

describe('policy capability tokens', () => {
  it('verifies in scope and refuses out of scope, expired and forged tokens', () => {
    let now = 1000;
    const t = new TokenService(newKey(), { now: () => now });
    const tok = t.issue(scope);
    assert.ok(t.verify(tok, at).ok);
    assert.match((t.verify(tok, { ...at, resource: 'docs/x' }) as { reason: string }).reason, /scoped/);
    assert.match((t.verify(tok, { ...at, subject: 'agent:b' }) as { reason: string }).reason, /scoped/);
    assert.match((t.verify(tok, { ...at, action: 'fs.delete' }) as { reason: string }).reason, /scoped/);
    assert.match((new TokenService(newKey()).verify(tok, at) as { reason: string }).reason, /signature/);
    assert.match((t.verify('nonsense', at) as { reason: string }).reason, /malformed/);
    now += 60_000;
    assert.match((t.verify(tok, at) as { reason: string }).reason, /expired/);
  });
  it('nonces are monotonic and a consumed token is a replay', () => {
    const t = new TokenService(newKey());
    const a = t.issue(scope);
    const b = t.issue(scope);
    const ca = t.verify(a, at);
    const cb = t.verify(b, at);
    assert.ok(ca.ok && cb.ok);
    assert.equal(cb.claims.n, ca.claims.n + 1);
    t.consume(cb.claims);
    assert.ok(t.verify(a, at).ok, 'an unused earlier token stays valid');
    assert.match((t.verify(b, at) as { reason: string }).reason, /already used/);
  });
  it('persists the key and the nonce counter; a restarted kernel refuses earlier tokens', () => {
    const file = path.join(tempDir(), 'state', 'policy-token.key');
    const first = TokenService.openKeyFile(file);
    const tok = first.issue(scope);
    const again = TokenService.openKeyFile(file);
    assert.ok(again.verify(tok, at).ok, 'same key from the file');
    assert.equal((again.verify(again.issue(scope), at) as { claims: { n: number } }).claims.n, 2, 'counter continues');
    assert.equal(again, first, 'one key file, one service');
    TokenService.closeKeyFile(file); // as the process exiting would
    const restarted = TokenService.openKeyFile(file, { rejectEarlier: true });
    assert.match((restarted.verify(tok, at) as { reason: string }).reason, /already used/);
  });
  it("one key, one nonce store: a token used through the kernel's engine is a replay through a task's mode engine", () => {
    const state = tempDir();
    const ws = tempDir();
    const kernel = createKernelPolicyEngine({ workspace: ws, stateDir: state }, { AIRLOCK_POLICY_MODE: 'strict' });
    // Exactly as TaskService opens the key for its grants and its per-mode engines.
    const taskTokens = TokenService.openKeyFile(path.join(state, TOKEN_KEY_NAME), { issuer: 'kernel' });
    const explore = new ModeEngines({
      kernel,
      kernelMode: 'strict',
      customPolicy: false,
      tokens: taskTokens,
      workspace: ws,
      stateDir: state,
    }).for('explore');
    const ask = req('plugin.install', 'left-pad', 'agent:t1');
    assert.deepEqual([kernel.evaluate(ask).decision, explore.evaluate(ask).decision], ['ask', 'ask']);
    const token = taskTokens.issue({ subject: 'agent:t1', action: 'plugin.install', resource: 'left-pad', ttlMs: 60_000 });
    const withToken = { ...ask, context: { token } };
    assert.equal(kernel.evaluate(withToken).decision, 'allow');
    assert.notEqual(explore.evaluate(withToken).decision, 'allow', 'replayed through the other engine');
    const second = taskTokens.issue({ subject: 'agent:t1', action: 'plugin.install', resource: 'left-pad', ttlMs: 60_000 });
    assert.equal(explore.evaluate({ ...ask, context: { token: second } }).decision, 'allow');
    assert.notEqual(kernel.evaluate({ ...ask, context: { token: second } }).decision, 'allow', 'and the other way round');
    kernel.dispose();
    explore.dispose();
  });
  it('the engine consumes a token only when it turns ask into allow', () => {
    const tokens = new TokenService(newKey());
    const e = engineFor(
      `
- { id: w, effect: ask, actions: [fs.write], resources: ["src/**"] }
- { id: r, effect: allow, actions: [fs.read], resources: ["src/**"] }`,
      { tokens },
    );
    const token = tokens.issue({ ...scope, action: 'fs.read' });
    assert.equal(e.evaluate(req('fs.read', 'src/x.ts', 'agent:a', { context: { token } })).decision, 'allow');
    assert.equal(e.evaluate(req('fs.read', 'src/x.ts', 'agent:a', { context: { token } })).decision, 'allow', 'not consumed by an allow');
    const wt = tokens.issue(scope);
    assert.equal(e.evaluate(req('fs.write', 'src/x.ts', 'agent:a', { context: { token: wt } })).decision, 'allow');
    assert.equal(e.evaluate(req('fs.write', 'src/x.ts', 'agent:a', { context: { token: wt } })).decision, 'deny');
  });
  it('a token without a configured key is a deny, never ignored', () => {
    const e = engineFor(`
- { id: w, effect: allow, actions: [fs.write], resources: ["src/**"] }`);
    const d = e.evaluate(req('fs.write', 'src/x.ts', 'agent:a', { context: { token: 'al1.x.y' } }));
    assert.equal(d.decision, 'deny');
    assert.match(d.reason, /cannot be verified/);
  });
});
