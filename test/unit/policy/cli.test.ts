// The stable CLI contract: `airlock policy eval|check|token`, run in-process through runCli with real files.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../../cli/src/main';
import type { CliIO } from '../../../cli/src/command';
import { readConfig, statePaths } from '../../../bootstrap';
import { TOKEN_KEY_NAME } from '../../../core/src/policy/defaults';
import { TokenService } from '../../../core/src/policy/tokens';
import { Decision } from '../../../protocol/src/policy';
import { tempDir, writePolicy } from './helpers';

async function cli(args: string[], stdin = '', env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (l) => out.push(l), err: (l) => err.push(l), readStdin: async () => stdin, cwd: process.cwd(), env };
  const code = await runCli(args, io);
  return { code, out, err };
}

const POLICIES = path.resolve(__dirname, '../../../policies');

describe('airlock policy (CLI contract)', () => {
  const dir = tempDir();
  const request = (r: object) => {
    const f = path.join(dir, `r${Math.random()}.json`);
    fs.writeFileSync(f, JSON.stringify(r));
    return f;
  };

  it('eval prints one JSON decision line and exits 0', async () => {
    const r = await cli([
      'policy',
      'eval',
      '--policy',
      path.join(POLICIES, 'explore.yaml'),
      '--request',
      request({ subject: { kind: 'agent', id: 'a' }, action: 'exec', resource: 'npm test && rm -rf /' }),
    ]);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.equal(r.out.length, 1);
    const d = Decision.parse(JSON.parse(r.out[0]));
    assert.equal(d.decision, 'deny');
    assert.deepEqual(Object.keys(JSON.parse(r.out[0])), ['decision', 'matched', 'limits', 'reason']);
    assert.ok(d.limits.timeout_ms > 0 && d.limits.memory_bytes > 0);
  });
  it('eval reads the request from stdin and merges several policies', async () => {
    const extra = writePolicy(
      dir,
      `
- { id: docs, effect: allow, actions: [fs.write], resources: ["docs/**"], limits: { timeout: 1s } }`,
      undefined,
      'extra.yaml',
    );
    const r = await cli(
      ['policy', 'eval', '--policy', path.join(POLICIES, 'strict.yaml'), '--policy', extra, '--request', '-'],
      JSON.stringify({ subject: { kind: 'agent', id: 'a' }, action: 'fs.write', resource: 'docs/x.md' }),
    );
    assert.equal(r.code, 0, r.err.join('\n'));
    const d = JSON.parse(r.out[0]);
    assert.equal(d.decision, 'ask');
    assert.deepEqual(d.matched, ['docs', 'writes-need-approval']);
    assert.equal(d.limits.timeout_ms, 1000);
  });
  it('eval exits 2 with the file and the problem for a malformed policy or request', async () => {
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, 'version: 1\nrules:\n  - id: a\n    effect: allow\n    actions: [fs.read]\n    limits: { memory: 12 bananas }\n');
    const r = await cli(['policy', 'eval', '--policy', bad, '--request', request({})]);
    assert.equal(r.code, 2);
    assert.match(r.err.join('\n'), new RegExp(`${bad.replace(/[.]/g, '\\.')}:6:\\d+: bad size`));
    const badReq = request({ subject: { kind: 'robot', id: 'x' }, action: 'fs.read' });
    const r2 = await cli(['policy', 'eval', '--policy', path.join(POLICIES, 'strict.yaml'), '--request', badReq]);
    assert.equal(r2.code, 2);
    assert.match(r2.err.join('\n'), new RegExp(`${path.basename(badReq).replace(/[.]/g, '\\.')}.*subject\\.kind`));
    assert.equal((await cli(['policy', 'eval', '--policy', path.join(POLICIES, 'strict.yaml'), '--request', '-'], '{not json')).code, 2);
  });
  it('check exits 0 for the default policies, 1 with each failing example, 2 when unusable', async () => {
    for (const m of ['strict', 'explore', 'debug'])
      assert.equal((await cli(['policy', 'check', path.join(POLICIES, `${m}.yaml`)])).code, 0, m);
    const ex = writePolicy(
      dir,
      `
- id: a
  effect: allow
  actions: [fs.read]
  resources: ["src/**"]
  examples: { match: [{ action: fs.read, resource: lib/x }, { action: fs.read, resource: test/y }] }`,
      undefined,
      'ex.yaml',
    );
    const r = await cli(['policy', 'check', ex]);
    assert.equal(r.code, 1);
    assert.equal(r.err.length, 2);
    assert.equal((await cli(['policy', 'check', path.join(dir, 'missing.yaml')])).code, 2);
  });
  it("token issue and verify round-trip with the workspace kernel's key (bootstrap's state folder)", async () => {
    const ws = fs.realpathSync(tempDir());
    const env = { AIRLOCK_STATE_ROOT: path.join(dir, 'state-root'), AIRLOCK_STATE_DIR: path.join(dir, 'not-here') };
    const ctx = ['--workspace', ws];
    const issued = await cli(
      ['policy', 'token', 'issue', '--subject', 'agent:a', '--action', 'fs.write', '--resource', 'src/**', '--ttl', '5m', ...ctx],
      '',
      env,
    );
    assert.equal(issued.code, 0, issued.err.join('\n'));
    // One state location: the folder bootstrap mounts into the kernel as /state, where the kernel opens TOKEN_KEY_NAME.
    const kernelState = statePaths(readConfig({ workspace: ws }, env), env).state;
    assert.ok(fs.existsSync(path.join(kernelState, TOKEN_KEY_NAME)), "the key is the kernel's");
    assert.equal(fs.existsSync(path.join(dir, 'not-here')), false, 'the kernel-side AIRLOCK_STATE_DIR is not a host path');
    const token = issued.out[0];
    const kernelTokens = TokenService.openKeyFile(path.join(kernelState, TOKEN_KEY_NAME), { issuer: 'kernel' });
    assert.equal(kernelTokens.verify(token, { subject: 'agent:a', action: 'fs.write', resource: 'src/a.ts', absolute: false }).ok, true);
    const ok = await cli(
      ['policy', 'token', 'verify', '--token', token, '--subject', 'agent:a', '--action', 'fs.write', '--resource', './src//a.ts', ...ctx],
      '',
      env,
    );
    assert.equal(ok.code, 0, ok.out.join('\n'));
    const no = await cli(
      ['policy', 'token', 'verify', '--token', '-', '--subject', 'agent:a', '--action', 'fs.write', '--resource', 'lib/a.ts', ...ctx],
      token,
      env,
    );
    assert.equal(no.code, 1);
    assert.match(JSON.parse(no.out[0]).reason, /scoped/);
    const other = fs.realpathSync(tempDir());
    const elsewhere = await cli(
      [
        'policy',
        'token',
        'verify',
        '--token',
        token,
        '--subject',
        'agent:a',
        '--action',
        'fs.write',
        '--resource',
        'src/a.ts',
        '--workspace',
        other,
      ],
      '',
      env,
    );
    assert.equal(elsewhere.code, 2, 'another workspace has no key yet');
    assert.match(elsewhere.err.join('\n'), /POLICY_TOKEN_KEY: no token key at .*state-root\/ws-[0-9a-f]{12}\/state\/policy-token\.key/);
  });
});
