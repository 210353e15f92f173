// sandbox/* over typed RPC and `airlock sandbox ...` against a real Docker engine (in-process kernel, real sandboxes).
import * as assert from 'node:assert/strict';
import { sandboxAction } from '../../../cli/src/commands/sandbox';
import type { CliIO } from '../../../cli/src/command';
import { createRuntime } from '../../../kernel/src/runtime/detect';
import { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import { loadTemplates } from '../../../core/src/templates';
import { ensureSandboxImages } from '../../../templates/builder/sandbox-images';
import { inProcessKernel, type InProcessKernel } from '../../unit/kernel-harness';

function capture(): CliIO & { lines: string[]; errs: string[] } {
  const lines: string[] = [];
  const errs: string[] = [];
  return { lines, errs, out: (l) => lines.push(l), err: (l) => errs.push(l), readStdin: async () => '', cwd: process.cwd(), env: {} };
}

describe('sandbox methods and CLI (docker)', function () {
  this.timeout(120_000);
  let k: InProcessKernel;
  let m: SandboxManager;

  before(async () => {
    await ensureSandboxImages({ engine: 'docker', socketPath: '/var/run/docker.sock' });
    k = await inProcessKernel(
      { 'a.txt': 'A\n' },
      { runtime: (ws) => (m = new SandboxManager({ runtime: createRuntime('docker'), templates: loadTemplates(), workspaceHost: ws })) },
    );
  });
  after(async () => {
    await m?.shutdown();
    k?.dispose();
  });

  it('creates, lists, execs in and destroys a sandbox over RPC', async () => {
    const s = await k.client.request('sandbox/create', { template: 'code-executor' });
    assert.equal(s.state, 'ready');
    const l = await k.client.request('sandbox/list', {});
    assert.ok(l.sandboxes.some((x) => x.id === s.id));
    assert.ok(l.templates.includes('policy-sandbox'));
    const r = await k.client.request('sandbox/exec', {
      id: s.id,
      argv: ['sh', '-c', 'read x; echo "$x$x"'],
      stdin: Buffer.from('ab\n').toString('base64'),
    });
    assert.equal(r.stdout, 'abab\n');
    const d = await k.client.request('sandbox/destroy', { id: s.id });
    assert.equal(d.state, 'destroyed');
    await assert.rejects(k.client.request('sandbox/exec', { id: s.id, argv: ['true'] }), /SANDBOX_NOT_FOUND|no sandbox/);
    await assert.rejects(k.client.request('sandbox/create', { template: 'nope' }), /no sandbox template named "nope"/);
  });

  it('airlock sandbox create / exec / list / destroy / prune', async () => {
    const io = capture();
    assert.equal(await sandboxAction(k.client, 'create', ['policy-sandbox', '--json'], io), 0);
    const id = JSON.parse(io.lines.join('\n')).id as string;
    const e = capture();
    const code = await sandboxAction(k.client, 'exec', [id, '--', 'node', '-e', 'console.log(6*7); process.exit(4)'], e);
    assert.equal(code, 4);
    assert.deepEqual(e.lines, ['42']);
    const ls = capture();
    await sandboxAction(k.client, 'list', [], ls);
    assert.match(ls.lines.join('\n'), new RegExp(`${id}\\s+policy-sandbox\\s+ready`));
    const pr = capture();
    await sandboxAction(k.client, 'prune', [], pr);
    assert.match(pr.lines[0], /destroyed 1 sandbox/);
    await assert.rejects(sandboxAction(k.client, 'exec', [id], capture()), /needs an id and a command/);
  });
});
