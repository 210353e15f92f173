// The egress relay setting (egress.relay): read from the person's configuration or environment, never from a workspace
// file, and carried into the kernel container as AIRLOCK_EGRESS_RELAY (where the proxy reads it); a change replaces it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConfig } from '../../../core/src/config/resolve';
import { chooseRelay } from '../../../kernel/src/egress/native-relay';
import { assertTravelsToKernel } from '../bootstrap/kernel-options';

function setup() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-relay-'));
  const ws = path.join(root, 'ws');
  fs.mkdirSync(path.join(ws, '.airlock'), { recursive: true });
  const env = { HOME: root, AIRLOCK_CONFIG_FILE: path.join(root, 'user.yaml'), AIRLOCK_MANAGED_EXTRA: path.join(root, 'managed.yaml') };
  return { root, ws, env };
}

describe('egress: the relay setting reaches the kernel container', () => {
  it('defaults to native; the person sets js in their config or environment; a workspace file cannot', () => {
    const { ws, env } = setup();
    assert.equal(resolveConfig({ workspace: ws, env }).values['egress.relay'], 'native');
    fs.writeFileSync(env.AIRLOCK_CONFIG_FILE, 'egress:\n  relay: js\n');
    assert.equal(resolveConfig({ workspace: ws, env }).values['egress.relay'], 'js');
    fs.rmSync(env.AIRLOCK_CONFIG_FILE);
    assert.equal(resolveConfig({ workspace: ws, env: { ...env, AIRLOCK_EGRESS_RELAY: 'js' } }).values['egress.relay'], 'js');
    fs.writeFileSync(path.join(ws, '.airlock', 'config.yaml'), 'egress:\n  relay: js\n');
    const r = resolveConfig({ workspace: ws, env });
    assert.equal(r.values['egress.relay'], 'native', 'a cloned repository does not choose the relay');
    assert.equal(r.explain['egress.relay'].candidates.find((c) => c.layer === 'workspace')?.status, 'not-settable-here');
    const bad = resolveConfig({ workspace: ws, env: { ...env, AIRLOCK_EGRESS_RELAY: 'fast' } });
    assert.ok(
      bad.errors.some((e) => /egress\.relay/.test(e)),
      bad.errors.join('\n'),
    );
  });

  it('travels as AIRLOCK_EGRESS_RELAY, which the proxy obeys; a change replaces the kernel', () => {
    const { ws, env } = setup();
    const { set: js } = assertTravelsToKernel(ws, env, 'AIRLOCK_EGRESS_RELAY', 'js', 'native');
    // What the kernel does with its environment: the tunnel relay the proxy picks.
    const kernelEnv = (o: typeof js) =>
      Object.fromEntries(o.Env!.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    assert.equal(chooseRelay('connect', kernelEnv(js)).kind, 'js');
  });
});
