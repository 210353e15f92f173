// Verifying a plugin before anyone may approve it: its manifest (zod), the versions it speaks (semver ranges on the
// SDK and the plugin protocol), and what it asks for against the policy (a plugin asking for more is refused).
import * as semver from 'semver';
import { formatIssues } from '../../../protocol/src/errors';
import type { Decision, PolicyRequest } from '../../../protocol/src/policy';
import { MAX_MANIFEST_BYTES, PLUGIN_PROTOCOL_VERSION, PLUGIN_SDK_VERSION, PluginManifest } from '../../../protocol/src/plugin-manifest';

export type Verified = { ok: true; manifest: PluginManifest } | { ok: false; reason: string };

/** The manifest as the host sent it (read from a folder: untrusted), with the versions negotiated. */
export function verifyManifest(raw: unknown, versions = { sdk: PLUGIN_SDK_VERSION, protocol: PLUGIN_PROTOCOL_VERSION }): Verified {
  let size: number;
  try {
    size = JSON.stringify(raw ?? null).length;
  } catch {
    return { ok: false, reason: 'the manifest is not JSON' };
  }
  if (size > MAX_MANIFEST_BYTES) return { ok: false, reason: `the manifest is ${size} bytes (at most ${MAX_MANIFEST_BYTES})` };
  const r = PluginManifest.safeParse(raw);
  if (!r.success) return { ok: false, reason: `its manifest is invalid: ${formatIssues(r.error)}` };
  const m = r.data;
  for (const [what, have] of [
    ['sdk', versions.sdk],
    ['protocol', versions.protocol],
  ] as const) {
    const range = m.engines[what];
    if (!semver.validRange(range)) return { ok: false, reason: `engines.${what} ${JSON.stringify(range)} is not a semver range` };
    if (!semver.satisfies(have, range)) {
      return {
        ok: false,
        reason: `it needs plugin ${what} ${range}; this Airlock has ${have} (rebuild it with @airlock/plugin-sdk ${PLUGIN_SDK_VERSION})`,
      };
    }
  }
  const tools = m.tools.map((t) => t.name);
  if (new Set(tools).size !== tools.length) return { ok: false, reason: 'its manifest names a tool twice' };
  return { ok: true, manifest: m };
}

export type Judge = (req: PolicyRequest) => Decision;

/**
 * A path the glob stands for (`src/**` → `src/x`, `**\/*.pem` → `x/x.pem`): the policy judges paths, not globs. What the
 * sandbox then shows is the workspace with everything the policy hides from agents masked, whatever the glob said.
 */
export function sample(glob: string): string {
  return (
    glob
      .replace(/\{([^,}]*)[^}]*\}/g, '$1')
      .replace(/\*\*|\*|\?/g, 'x')
      .replace(/^\.?\/+/, '') || '.'
  );
}

/**
 * Each capability as the policy would judge it, before the plugin starts. Reads, writes and commands are judged as
 * the agent the plugin works for (`agent:plugin:<name>`): a plugin never gets more than the agent of this mode; its
 * reads and commands happen inside its sandbox without asking, so they must be allowed outright. Network hosts are
 * judged as `plugin:<name>`, the subject its egress proxy uses: its own allowlist (ask: asked per connection).
 * Null when everything is allowed; else the first refusal with the rule's reason. A judge that throws refuses.
 */
export function precheckCapabilities(m: PluginManifest, judge: Judge): string | null {
  const agent = { kind: 'agent' as const, id: `plugin:${m.name}`, tags: [] };
  const plugin = { kind: 'plugin' as const, id: m.name, tags: [] };
  const checks: Array<{ what: string; req: PolicyRequest; askOk: boolean }> = [
    ...m.capabilities.reads.map((g) => ({
      what: `reads ${g}`,
      req: { subject: agent, action: 'fs.read', resource: sample(g), context: { size: 0 } },
      askOk: false,
    })),
    ...(m.capabilities.writes
      ? [
          {
            what: 'writes (as patches)',
            req: { subject: agent, action: 'fs.write', resource: 'airlock-plugin-output', context: { size: 0 } },
            askOk: true,
          },
        ]
      : []),
    ...m.capabilities.exec.map((c) => ({
      what: `exec ${c}`,
      req: { subject: agent, action: 'exec', resource: c, context: {} },
      askOk: false,
    })),
    ...m.capabilities.network.map((h) => ({
      what: `network ${h}`,
      req: { subject: plugin, action: 'net.connect', resource: h, context: {} },
      askOk: true,
    })),
  ];
  for (const c of checks) {
    let d: Decision;
    try {
      d = judge(c.req);
    } catch (e) {
      return `${c.what}: the policy could not judge it (${(e as Error).message})`;
    }
    if (d.decision === 'allow' || (d.decision === 'ask' && c.askOk)) continue;
    const rules = d.matched.length ? ` [${d.matched.join(', ')}]` : '';
    return d.decision === 'ask'
      ? `it asks for ${c.what}, which the policy only allows one call at a time${rules} (${d.reason}); a plugin does that unasked`
      : `it asks for ${c.what}, which the policy denies${rules}: ${d.reason}`;
  }
  return null;
}
