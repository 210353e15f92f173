// Sandbox templates and seccomp profiles: the shipped ones validate, unsafe ones are refused with a clear error.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { assets } from '../../../protocol/src/node/assets';
import YAML from 'yaml';
import { loadSeccomp, loadTemplates, parseSize, parseTemplate, SeccompName } from '../../../core/src/templates';

const FORBIDDEN = [
  'mount',
  'umount2',
  'ptrace',
  'unshare',
  'setns',
  'keyctl',
  'add_key',
  'bpf',
  'perf_event_open',
  'init_module',
  'pivot_root',
  'chroot',
];

function shipped() {
  const t = loadTemplates(undefined, '1000:1000').get('code-executor')!;
  return YAML.parse(YAML.stringify(t)) as Record<string, unknown>;
}

function refuse(mutate: (t: Record<string, unknown>) => void, pattern: RegExp) {
  const t = shipped();
  mutate(t);
  assert.throws(
    () => parseTemplate(YAML.stringify(t), 'x.yaml'),
    (e: { code?: string; message: string }) => e.code === 'TEMPLATE_INVALID' && pattern.test(e.message),
  );
}

describe('sandbox templates', () => {
  it('loads every shipped template: the workspace user, read-only root, no capabilities, and no network route out', () => {
    const all = loadTemplates(undefined, '1234:1235');
    const shipped = fs
      .readdirSync(assets().sandboxTemplatesDir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''))
      .sort();
    assert.deepEqual([...all.keys()].sort(), shipped);
    for (const name of ['ai-provider', 'code-executor', 'integration-test', 'policy-sandbox']) assert.ok(all.has(name), name);
    for (const t of all.values()) {
      assert.equal(t.readOnlyRoot, true);
      assert.ok(t.capDrop.includes('ALL'));
      assert.equal(t.user, '1234:1235');
      // Closed by default (docs/network.md): the only way out is the kernel's proxy or provider endpoint.
      assert.equal(t.network, 'none', `${t.name}: no network namespace route out`);
    }
    assert.equal(all.get('code-executor')!.build, 'debian');
    assert.equal(all.get('ai-provider')!.egress, 'provider');
  });

  it('refuses root, writable root, writable workspace, kept capabilities, unknown fields and bad sizes', () => {
    refuse((t) => {
      t.user = '0:0';
    }, /user/);
    refuse((t) => {
      t.readOnlyRoot = false;
    }, /readOnlyRoot/);
    refuse((t) => {
      (t.workspace as Record<string, unknown>).readOnly = false;
    }, /workspace\.readOnly/);
    refuse((t) => {
      t.capDrop = ['NET_RAW'];
    }, /capDrop: must drop ALL/);
    refuse((t) => {
      t.privileged = true;
    }, /privileged|unrecognized/i);
    refuse((t) => {
      (t.limits as Record<string, unknown>).memory = 'lots';
    }, /limits\.memory/);
    refuse((t) => {
      t.seccomp = 'unconfined';
    }, /seccomp/);
    assert.throws(() => parseTemplate('a: [', 'y.yaml'), /not valid YAML/);
  });

  it("accepts a person's own image", () => {
    const t = shipped();
    t.image = 'registry.example/my/image:1';
    assert.equal(parseTemplate(YAML.stringify(t), 'x.yaml').image, 'registry.example/my/image:1');
  });

  it('parses sizes', () => {
    assert.equal(parseSize('64m'), 64 * 1024 * 1024);
    assert.equal(parseSize('1g'), 1024 ** 3);
  });
});

describe('seccomp profiles', () => {
  for (const name of SeccompName.options) {
    it(`${name} is an allowlist without ${FORBIDDEN.length} dangerous calls`, () => {
      const p = JSON.parse(loadSeccomp(name)) as {
        defaultAction: string;
        syscalls: Array<{ names: string[]; action: string; args?: unknown[] }>;
      };
      assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
      const allowed = new Set(p.syscalls.filter((s) => s.action === 'SCMP_ACT_ALLOW' && !s.args).flatMap((s) => s.names));
      for (const f of FORBIDDEN) assert.ok(!allowed.has(f), `${name} allows ${f}`);
      assert.ok(allowed.has('execve') && allowed.has('futex'));
      const clone = p.syscalls.find((s) => s.names.includes('clone'))!;
      assert.ok(clone.args?.length, 'clone is only allowed without namespace flags');
    });
  }
});
