// Plugin verification: the manifest, semver negotiation, and the capability pre-check against real shipped policies.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { PolicyEngine } from '../../../core/src/policy/engine';
import { assets } from '../../../protocol/src/node/assets';
import type { PluginManifestInput } from '../../../protocol/src/plugin-manifest';
import { PluginManifest } from '../../../protocol/src/plugin-manifest';
import { precheckCapabilities, verifyManifest } from '../../../kernel/src/plugins/verify';

const manifest = (over: Partial<PluginManifestInput> = {}): PluginManifestInput => ({
  manifestVersion: 1,
  name: 'hello',
  version: '1.0.0',
  engines: { sdk: '^0.1.0', protocol: '^1.0.0' },
  tools: [{ name: 'greet', description: 'says hello' }],
  ...over,
});

describe('plugin verification', () => {
  it('accepts a valid manifest whose ranges accept this SDK and protocol', () => {
    const v = verifyManifest(manifest());
    assert.ok(v.ok, v.ok ? '' : v.reason);
    assert.equal(v.manifest.entry, 'dist/index.js');
    assert.deepEqual(v.manifest.capabilities, { reads: [], writes: false, exec: [], network: [] });
  });

  it('refuses incompatible versions with what this Airlock has', () => {
    const v = verifyManifest(manifest({ engines: { sdk: '^2.0.0', protocol: '^1.0.0' } }));
    assert.ok(!v.ok);
    assert.match(v.reason, /needs plugin sdk \^2\.0\.0; this Airlock has 0\.1\.0/);
    const p = verifyManifest(manifest({ engines: { sdk: '^0.1.0', protocol: '>=2' } }));
    assert.ok(!p.ok && /protocol >=2/.test(p.reason));
    assert.ok(
      verifyManifest(manifest({ engines: { sdk: '^0.1.0', protocol: '^1.0.0' } }), { sdk: '0.2.0', protocol: '1.0.0' }).ok === false,
    );
  });

  it('refuses bad manifests: unknown fields, entry outside the folder, duplicate tools, huge ones', () => {
    assert.match((verifyManifest({ ...manifest(), extra: 1 }) as { reason: string }).reason, /manifest is invalid/);
    assert.ok(!verifyManifest(manifest({ entry: '../../etc/passwd' })).ok);
    assert.ok(!verifyManifest(manifest({ tools: [{ name: 'a' }, { name: 'a' }] })).ok);
    assert.match((verifyManifest(manifest({ description: 'x'.repeat(70_000) })) as { reason: string }).reason, /bytes \(at most/);
    assert.ok(!verifyManifest(null).ok);
  });

  describe('capability pre-check against the shipped explore policy', () => {
    const engine = new PolicyEngine({ mode: 'explore' });
    before(() => engine.load([path.join(assets().policiesDir, 'explore.yaml')]));
    after(() => engine.dispose());
    const check = (caps: PluginManifestInput['capabilities']) =>
      precheckCapabilities(PluginManifest.parse(manifest({ capabilities: caps })), (r) => engine.evaluate(r));

    it('allows what the agent may do: workspace reads, writes as patches, inspection commands', () => {
      assert.equal(check({ reads: ['**'], writes: true, exec: ['git status --porcelain'] }), null);
    });

    it("refuses reads of secrets, commands the agent may not run, and hosts not on the plugin's allowlist", () => {
      assert.match(check({ reads: ['**/.env'] }) ?? '', /reads \*\*\/\.env, which the policy denies \[secrets\]/);
      assert.match(check({ exec: ['curl https://example.com'] }) ?? '', /exec curl https:\/\/example\.com, which the policy denies/);
      assert.match(check({ network: ['example.com:443'] }) ?? '', /network example\.com:443, which the policy denies/);
    });

    it('a judge that throws refuses', () => {
      const v = precheckCapabilities(PluginManifest.parse(manifest({ capabilities: { reads: ['src/**'] } })), () => {
        throw new Error('broken');
      });
      assert.match(v ?? '', /could not judge it \(broken\)/);
    });
  });
});
