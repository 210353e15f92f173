// Bootstrap: configuration layering and validation, state paths, engine candidates, and its size budget.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { candidateSockets, readConfig, statePaths } from '../../bootstrap';
import { outputsOptions } from '../../core/src/engine/outputs-volume';
import { type AirlockError, ErrorCodes } from '../../protocol/src/errors';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-unit-'));
}

describe('bootstrap config', () => {
  it('layers the user file < environment < options (options are the flags layer); the old config.json is still read', () => {
    const home = tmp();
    const ws = tmp();
    fs.mkdirSync(path.join(home, 'airlock'));
    fs.writeFileSync(path.join(home, 'airlock', 'config.yaml'), 'engine:\n  runtime: podman\nkernel.network: none\noutputs.size: 1g\n');
    const env = { XDG_CONFIG_HOME: home, AIRLOCK_RUNTIME: 'docker' };
    const cfg = readConfig({ workspace: ws, kernelNetwork: 'bridge', maxRestarts: 2 }, env);
    assert.equal(cfg.runtime, 'docker');
    assert.equal(cfg.maxRestarts, 2);
    assert.equal(cfg.kernelNetwork, 'bridge');
    assert.equal(cfg.outputsSize, '1g');
    assert.equal(cfg.workspace, fs.realpathSync(ws));
    const legacy = tmp();
    fs.mkdirSync(path.join(legacy, 'airlock'));
    fs.writeFileSync(path.join(legacy, 'airlock', 'config.json'), JSON.stringify({ runtime: 'podman', maxRestarts: 9 }));
    const old = readConfig({ workspace: ws }, { XDG_CONFIG_HOME: legacy });
    assert.equal(old.runtime, 'podman');
    assert.equal(old.maxRestarts, 5, 'limits are options of the caller, not settings');
    assert.ok(
      old.warnings.some((w) => /config\.json is read for compatibility/.test(w)),
      old.warnings.join('\n'),
    );
    assert.ok(
      old.warnings.some((w) => /maxRestarts is not a setting/.test(w)),
      old.warnings.join('\n'),
    );
  });

  it('reports bad values with code, where they came from and a hint', () => {
    const home = tmp();
    const ws = tmp();
    fs.mkdirSync(path.join(home, 'airlock'));
    fs.writeFileSync(path.join(home, 'airlock', 'config.json'), JSON.stringify({ runtime: 'lxc', bogus: 1 }));
    assert.throws(
      () => readConfig({ workspace: ws }, { XDG_CONFIG_HOME: home }),
      (e: AirlockError) =>
        e.code === ErrorCodes.Config && /config\.json: engine\.runtime="lxc"/.test(e.message) && /airlock config/.test(e.hint ?? ''),
    );
    fs.writeFileSync(path.join(home, 'airlock', 'config.json'), '{ not json');
    assert.throws(() => readConfig({ workspace: ws }, { XDG_CONFIG_HOME: home }), /not valid JSON/);
    assert.throws(() => readConfig({ workspace: path.join(ws, 'missing') }, { XDG_CONFIG_HOME: tmp() }), /is not a directory/);
  });

  it('sizes the outputs tmpfs: 2g and 1,000,000 inodes by default, AIRLOCK_OUTPUTS_SIZE, in pages on Podman', () => {
    const ws = tmp();
    const user = { uid: 1000, gid: 1001 };
    const def = readConfig({ workspace: ws }, { XDG_CONFIG_HOME: tmp() });
    assert.equal(outputsOptions('docker', def, user), `size=${2 * 1024 ** 3},nr_inodes=1000000,uid=1000,gid=1001,mode=0700,nosuid,nodev`);
    const cfg = readConfig({ workspace: ws }, { XDG_CONFIG_HOME: tmp(), AIRLOCK_OUTPUTS_SIZE: '512m' });
    // Podman takes `size=` in a local volume's options for an XFS quota, so the size goes in 4 KiB pages.
    assert.equal(outputsOptions('podman', cfg, user), `nr_blocks=${512 * 256},nr_inodes=1000000,uid=1000,gid=1001,mode=0700,nosuid,nodev`);
    assert.throws(
      () => readConfig({ workspace: ws }, { XDG_CONFIG_HOME: tmp(), AIRLOCK_OUTPUTS_SIZE: '2 GB' }),
      /AIRLOCK_OUTPUTS_SIZE: outputs\.size="2 GB"/,
    );
  });

  it('derives per-workspace state paths outside the workspace and refuses over-long socket paths', () => {
    const ws = tmp();
    const cfg = readConfig({ workspace: ws, stateRoot: '/tmp/airlock-state' }, { XDG_CONFIG_HOME: tmp() });
    const p = statePaths(cfg);
    assert.match(p.root, /^\/tmp\/airlock-state\/ws-[0-9a-f]{12}$/);
    assert.ok(!p.state.startsWith(cfg.workspace));
    assert.equal(statePaths(cfg).id, p.id, 'stable id');
    const long = readConfig({ workspace: ws, stateRoot: '/tmp/' + 'x'.repeat(120) }, { XDG_CONFIG_HOME: tmp() });
    assert.throws(() => statePaths(long), /longer than Unix sockets allow/);
  });

  it('lists engine sockets from config, DOCKER_HOST and CONTAINER_HOST first, filtered by the chosen runtime', () => {
    const all = candidateSockets(
      { runtime: 'auto', socket: '/custom.sock' },
      { DOCKER_HOST: 'unix:///d.sock', CONTAINER_HOST: 'unix:///p.sock' },
    );
    assert.deepEqual(
      all.slice(0, 3).map((c) => c.socket),
      ['/custom.sock', '/d.sock', '/p.sock'],
    );
    const podman = candidateSockets({ runtime: 'podman', socket: undefined }, {});
    assert.ok(podman.every((c) => c.kind === 'podman'));
    assert.ok(podman.some((c) => c.socket === '/run/podman/podman.sock'));
  });
});

describe('bootstrap size budget', () => {
  it('stays under 500 lines of code (non-blank, non-comment)', () => {
    const dir = path.join(__dirname, '..', '..', 'bootstrap');
    let loc = 0;
    for (const f of fs.readdirSync(dir).filter((n) => /\.(ts|js|mjs|cjs)$/.test(n))) {
      let inBlock = false;
      for (const raw of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
        const line = raw.trim();
        if (inBlock) {
          if (line.includes('*/')) inBlock = false;
          continue;
        }
        if (line.startsWith('/*')) {
          inBlock = !line.includes('*/');
          continue;
        }
        if (line === '' || line.startsWith('//') || line.startsWith('*')) continue;
        loc++;
      }
    }
    assert.ok(loc > 100, `counted ${loc}: the counter is broken`);
    assert.ok(loc < 500, `bootstrap/ has ${loc} lines of code; the budget is 500`);
  });
});
