// The proxy judges a sandbox's connections by the policy of the task that owns it (its mode's policy), not by the
// kernel's own: the same host is allowed for a task in one mode and refused for a task in another, at the same time.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PolicyEngine } from '../../../core/src/policy/engine';
import { parsePolicyText } from '../../../core/src/policy/loader';
import { kernelEgress } from '../../../kernel/src/egress/attach';
import { helloServer, MemoryAudit, rawExchange } from './fixture';

const engine = (mode: string, text: string): PolicyEngine => {
  const e = new PolicyEngine({ mode });
  e.loadParsed(() => [parsePolicyText(`version: 1\nrules:\n${text}`, `${mode}.yaml`)]);
  return e;
};
// `open` lets the registry through (a name that resolves to loopback here, hence net.private too); `closed` refuses it.
const OPEN = engine(
  'open',
  '  - { id: open-registry, effect: allow, actions: [net.connect, net.private], resources: ["registry.test:*"] }\n',
);
const CLOSED = engine('closed', '  - { id: closed-net, effect: deny, actions: [net.connect], resources: ["*:*"] }\n');

describe("egress proxy: the task's mode policy", () => {
  let state: string;
  let hello: Awaited<ReturnType<typeof helloServer>>;
  const audit = new MemoryAudit();
  const modes: Record<string, { policy: PolicyEngine; mode: string }> = {
    'task-open': { policy: OPEN, mode: 'open' },
    'task-closed': { policy: CLOSED, mode: 'closed' },
  };
  let egress: ReturnType<typeof kernelEgress>;

  before(async () => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-egress-mode-'));
    hello = await helloServer();
    // The kernel itself runs in the closed mode; the open task must still get through, judged by its own policy.
    egress = kernelEgress({
      policy: CLOSED,
      audit: audit.source,
      stateDir: state,
      resolve: async (h) => (h === 'registry.test' ? ['127.0.0.1'] : []),
      policyFor: (task) => (task ? modes[task] : undefined),
    });
    await egress.open('sbx-open', 's1', () => 'task-open');
    await egress.open('sbx-closed', 's1', () => 'task-closed');
    await egress.open('sbx-none', 's1', () => undefined);
  });
  after(async () => {
    await egress.proxy.dispose();
    hello.server.close();
    fs.rmSync(state, { recursive: true, force: true });
  });

  const connect = (sandbox: string) =>
    rawExchange(path.join(state, 'egress', sandbox, 'proxy.sock'), `CONNECT registry.test:${hello.port} HTTP/1.1\r\n\r\n`, 1500);
  const last = (sandbox: string) =>
    audit
      .of('net.connect')
      .filter((e) => (e.payload as { sandbox: string }).sandbox === sandbox)
      .pop()!;

  it("allows the host for the task whose mode allows it, though the kernel's own policy refuses it", async () => {
    assert.match(await connect('sbx-open'), /^HTTP\/1\.1 200/);
    const rec = last('sbx-open');
    assert.equal(rec.decision, 'allow');
    assert.deepEqual(rec.ruleIds, ['open-registry']);
    assert.equal(rec.subject, 'agent:task-open');
  });

  it("refuses the same host for a task in the other mode, and for a sandbox with no task (the kernel's policy)", async () => {
    assert.match(await connect('sbx-closed'), /^HTTP\/1\.1 403/);
    assert.deepEqual(last('sbx-closed').ruleIds, ['closed-net']);
    assert.match(await connect('sbx-none'), /^HTTP\/1\.1 403/);
    assert.deepEqual(last('sbx-none').ruleIds, ['closed-net']);
  });

  it("follows the task: the same sandbox is judged by its new task's mode once it has one", async () => {
    modes['task-open'] = { policy: CLOSED, mode: 'closed' };
    try {
      assert.match(await connect('sbx-open'), /^HTTP\/1\.1 403/);
    } finally {
      modes['task-open'] = { policy: OPEN, mode: 'open' };
    }
  });
});
