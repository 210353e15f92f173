// The configuration hierarchy under managed settings: no lower layer loosens what an administrator set, with a warning.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setConfigValue, unsetConfigValue } from '../../../core/src/config/edit';
import { loadManaged } from '../../../core/src/config/managed';
import { resolveConfig } from '../../../core/src/config/resolve';
import { parseRunOptions } from '../../../cli/src/run/options';
import { BUILT_CLI, buildCli } from '../cli/built-cli';

const MANAGED = `lock:
  review.autoMerge: false
allow:
  agent.provider: [anthropic, replay]
  network.allowedHosts: [api.anthropic.com]
  mcp.servers: [github]
maximum:
  budget.maxCostUsd: 5
minimum:
  audit.maxAge: 90d
`;

function setup(files: Record<string, string>) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-config-'));
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), text);
  }
  fs.mkdirSync(path.join(root, 'ws'), { recursive: true });
  const env = {
    HOME: root,
    AIRLOCK_CONFIG_FILE: path.join(root, 'user.yaml'),
    AIRLOCK_MANAGED_EXTRA: path.join(root, 'etc', 'managed.yaml'),
  };
  return { root, ws: path.join(root, 'ws'), env };
}

describe('configuration hierarchy and managed settings', () => {
  it('user, workspace, environment and flags each try to re-enable what managed settings forbid, and are ignored with a warning', () => {
    const { ws, env } = setup({
      'etc/managed.yaml': MANAGED,
      'user.yaml': 'agent:\n  provider: openai\nnetwork.allowedHosts: [evil.example]\nmcp:\n  servers: [shell-anything]\n',
      'ws/.airlock/config.yaml': 'agent.provider: google\nbudget:\n  maxCostUsd: 50\n',
    });
    const r = resolveConfig({
      workspace: ws,
      env: { ...env, AIRLOCK_AUTO_MERGE: 'true', AIRLOCK_PROVIDER: 'openai-compatible' },
      flags: { 'agent.provider': 'openai', 'review.autoMerge': true },
    });
    assert.equal(r.values['review.autoMerge'], false);
    assert.equal(r.values['agent.provider'], undefined, 'every layer named a provider outside the allow-list');
    assert.deepEqual(r.values['network.allowedHosts'], []);
    assert.deepEqual(r.values['mcp.servers'], []);
    assert.equal(r.values['budget.maxCostUsd'], 5, 'unset means unlimited, so the managed maximum applies');
    const provider = r.explain['agent.provider'];
    assert.deepEqual(
      provider.candidates.map((c) => [c.layer, c.status]),
      [
        ['flag', 'refused'],
        ['env', 'refused'],
        ['workspace', 'refused'],
        ['user', 'refused'],
      ],
    );
    assert.match(provider.candidates[0]!.reason!, /not allowed by managed settings .*allowed: anthropic, replay/);
    for (const w of [
      /command line.*agent\.provider="openai" ignored/,
      /AIRLOCK_AUTO_MERGE: review\.autoMerge="true" ignored: locked to false/,
      /config\.yaml: budget\.maxCostUsd=50 ignored: above the managed maximum 5/,
      /user\.yaml: network\.allowedHosts=.*evil\.example.*not allowed/,
      /user\.yaml: mcp\.servers=.*shell-anything/,
    ]) {
      assert.ok(
        r.warnings.some((x) => w.test(x)),
        `${w} in\n${r.warnings.join('\n')}`,
      );
    }
  });

  it('without managed settings the highest layer wins; a workspace file never sets host-only keys', () => {
    const { ws, env } = setup({
      'user.yaml': 'agent.provider: openai\nagent.model: gpt-x\n',
      'ws/.airlock/config.yaml':
        'agent:\n  model: ws-model\n  baseUrl: http://attacker.example/v1\nreview.autoMerge: true\nkernel.image: evil:latest\n',
    });
    const r = resolveConfig({ workspace: ws, env: { ...env, AIRLOCK_MODEL: 'env-model' }, flags: { 'agent.mode': 'explore' } });
    assert.equal(r.values['agent.provider'], 'openai');
    assert.equal(r.values['agent.model'], 'env-model');
    assert.deepEqual(
      r.explain['agent.model'].candidates.map((c) => [c.layer, c.status]),
      [
        ['env', 'won'],
        ['workspace', 'overridden'],
        ['user', 'overridden'],
      ],
    );
    assert.equal(r.values['agent.mode'], 'explore');
    assert.equal(r.values['agent.baseUrl'], undefined);
    assert.equal(r.values['review.autoMerge'], false);
    assert.equal(r.values['kernel.image'], undefined);
    assert.equal(r.explain['agent.baseUrl'].candidates[0]!.status, 'not-settable-here');
    assert.ok(
      r.warnings.some((w) => /workspace settings may not set kernel\.image/.test(w)),
      r.warnings.join('\n'),
    );
  });

  it('managed drop-ins only tighten: allow-lists intersect, the tightest bound wins, conflicting locks and unreadable files refuse', () => {
    const { root } = setup({
      'm/a.yaml': 'allow:\n  agent.provider: [anthropic, openai]\nmaximum:\n  budget.maxTurns: 30\nminimum:\n  audit.maxAge: 30d\n',
      'm/b.yaml': 'allow:\n  agent.provider: [openai, google]\nmaximum:\n  budget.maxTurns: 10\nminimum:\n  audit.maxAge: 90d\n',
    });
    const m = loadManaged([path.join(root, 'm')]);
    assert.deepEqual(m.allow['agent.provider'], ['openai']);
    assert.equal(m.maximum['budget.maxTurns'], 10);
    assert.equal(m.minimum['audit.maxAge'], '90d');
    assert.equal(m.sources.length, 2);
    assert.match(m.digest, /^[0-9a-f]{64}$/);
    fs.writeFileSync(path.join(root, 'm', 'c.yaml'), 'lock:\n  agent.mode: strict\n');
    fs.writeFileSync(path.join(root, 'm', 'd.yaml'), 'lock:\n  agent.mode: explore\n');
    assert.throws(() => loadManaged([path.join(root, 'm')]), /CONFIG_MANAGED_INVALID|disagree on agent\.mode/);
    fs.rmSync(path.join(root, 'm', 'd.yaml'));
    fs.writeFileSync(path.join(root, 'm', 'e.yaml'), 'lock:\n  agent.unknown: 1\n');
    assert.throws(
      () => loadManaged([path.join(root, 'm')]),
      (e: Error & { code?: string }) => e.code === 'CONFIG_MANAGED_INVALID',
    );
    fs.writeFileSync(path.join(root, 'm', 'e.yaml'), 'lock: [not, a, map\n');
    assert.throws(() => loadManaged([path.join(root, 'm')]), /not valid YAML/);
  });

  it('`config set|unset` keeps comments and either key form; a workspace file refuses host-only keys', () => {
    const { root } = setup({ 'user.yaml': '# mine\nagent:\n  model: a # keep\nagent.mode: strict\n' });
    const file = path.join(root, 'user.yaml');
    setConfigValue(file, 'user', 'agent.model', 'b');
    setConfigValue(file, 'user', 'agent.mode', 'debug');
    setConfigValue(file, 'user', 'budget.maxTurns', '12');
    const text = fs.readFileSync(file, 'utf8');
    assert.match(text, /# mine/);
    assert.match(text, /model: b # keep/);
    assert.match(text, /agent\.mode: debug/);
    assert.match(text, /budget:\n {2}maxTurns: 12/);
    assert.throws(() => setConfigValue(file, 'user', 'agent.mode', 'yolo'), /agent\.mode/);
    assert.throws(
      () => setConfigValue(path.join(root, 'ws', '.airlock', 'config.yaml'), 'workspace', 'agent.baseUrl', 'http://x.example'),
      /cannot be set in the workspace file/,
    );
    assert.equal(unsetConfigValue(file, 'budget.maxTurns'), true);
    assert.doesNotMatch(fs.readFileSync(file, 'utf8'), /budget/);
    assert.equal(unsetConfigValue(file, 'budget.maxTurns'), false);
  });

  it('`airlock run` flags go through the same hierarchy: a refused --auto-merge and --provider are dropped with warnings', () => {
    const { ws, env } = setup({ 'etc/managed.yaml': MANAGED, 'user.yaml': 'agent.provider: anthropic\n' });
    const o = parseRunOptions(['do it', '--provider', 'openai', '--auto-merge', '--workspace', ws], ws, 'usage', env);
    assert.equal(o.provider, 'anthropic');
    assert.equal(o.autoMerge, undefined);
    assert.deepEqual(o.budgets, { maxCostUsd: 5 });
    assert.ok(
      o.warnings.some((w) => /--provider.*"openai" ignored/.test(w)),
      o.warnings.join('\n'),
    );
    assert.ok(
      o.warnings.some((w) => /--auto-merge.*locked to false/.test(w)),
      o.warnings.join('\n'),
    );
  });

  it('the shipped CLI explains a refused value from an unrelated folder (dist/cli.js config explain|get|list)', function () {
    this.timeout(60_000);
    buildCli();
    const { root, ws, env } = setup({ 'etc/managed.yaml': MANAGED, 'ws/.airlock/config.yaml': 'agent.provider: openai\n' });
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [BUILT_CLI, 'config', ...args], { cwd: ws, encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
    const explain = cli('explain', 'agent.provider');
    assert.equal(explain.status, 0, explain.stderr);
    assert.match(explain.stdout, /agent\.provider = \(unset\)/);
    assert.match(explain.stdout, /refused\s+workspace openai .*not allowed by managed settings/);
    const set = cli('set', 'review.autoMerge', 'true');
    assert.equal(set.status, 0, set.stderr);
    assert.match(set.stderr, /review\.autoMerge is false from managed; your value is refused: locked to false/);
    assert.equal(cli('get', 'review.autoMerge').stdout.trim(), 'false');
    const list = cli('list', '--json');
    const j = JSON.parse(list.stdout) as { managed: { digest: string; sources: { file: string }[] } };
    assert.deepEqual(
      j.managed.sources.map((s) => s.file),
      [path.join(root, 'etc', 'managed.yaml')],
    );
    const bad = cli('get', 'agent.nope');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /CONFIG_UNKNOWN_KEY[\s\S]*hint: one of: /);
  });
});
