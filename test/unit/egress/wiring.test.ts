// How a template opts into egress, and what its container spec then carries (socket mount, forwarder, variables).
import * as assert from 'node:assert/strict';
import YAML from 'yaml';
import { loadTemplates, parseTemplate } from '../../../core/src/templates';
import { egressWiring, FORWARDER_SOURCE } from '../../../kernel/src/egress/sandbox';
import { containerSpec } from '../../../kernel/src/runtime/sandbox-spec';
import { AGENT_SOURCE } from '../../../kernel/src/runtime/exec-agent';

describe('egress wiring', () => {
  const all = loadTemplates(undefined, '1000:1000');

  it('ships integration-test behind the proxy with no network, and the other templates offline by default', () => {
    assert.equal(all.get('integration-test')!.egress, 'proxy');
    assert.equal(all.get('integration-test')!.network, 'none');
    assert.equal(all.get('code-executor')!.egress, 'none');
    assert.equal(all.get('policy-sandbox')!.egress, 'none');
  });

  it('refuses egress: proxy with a bridge network (a route around the proxy) and unknown egress values', () => {
    const t = YAML.parse(YAML.stringify(all.get('integration-test'))) as Record<string, unknown>;
    assert.throws(() => parseTemplate(YAML.stringify({ ...t, network: 'bridge' }), 'x.yaml'), /egress: proxy needs network: none/);
    assert.throws(() => parseTemplate(YAML.stringify({ ...t, egress: 'direct' }), 'x.yaml'), /egress/);
  });

  it('a sandbox with egress gets the socket folder read-only, the proxy variables and the forwarder before the agent', () => {
    const w = egressWiring({ sandbox: 'sbx-1', socketPath: '/state/egress/sbx-1/proxy.sock', hostFolder: '/host/state/egress/sbx-1' });
    const t = all.get('integration-test')!;
    const s = containerSpec({
      id: 'sbx-abcdef1234',
      template: t,
      image: 'img',
      deadline: 1,
      labels: {},
      mounts: [],
      tmpfs: {},
      env: { HTTP_PROXY: 'http://evil:1' },
      egress: w,
    });
    assert.deepEqual(s.mounts, [{ type: 'bind', source: '/host/state/egress/sbx-1', target: '/run/airlock-egress', readOnly: true }]);
    assert.equal(s.env?.HTTP_PROXY, 'http://127.0.0.1:3128', 'a caller cannot point the sandbox elsewhere');
    assert.equal(s.env?.AIRLOCK_EGRESS_SOCKET, '/run/airlock-egress/proxy.sock');
    assert.equal(s.networkMode, 'none');
    assert.equal(s.cmd[s.cmd.length - 1], FORWARDER_SOURCE + AGENT_SOURCE);
    const off = containerSpec({
      id: 'sbx-abcdef1234',
      template: all.get('code-executor')!,
      image: 'img',
      deadline: 1,
      labels: {},
      mounts: [],
      tmpfs: {},
    });
    assert.equal(off.cmd[off.cmd.length - 1], AGENT_SOURCE);
    assert.equal(off.env?.HTTP_PROXY, undefined);
  });
});
