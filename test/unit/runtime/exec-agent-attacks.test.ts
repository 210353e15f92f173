// Attacks on the exec agent's channel: a command writes the agent's stdout (/proc/1/fd/1) or stdin (/proc/1/fd/0).
import * as assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPLY_DOMAIN, signLine } from '../../../kernel/src/runtime/agent-lines';
import { feed, prng, realAgent, silentAgent, type AgentRig } from './agent-harness';

const line = (s: string) => Buffer.from(s + '\n');
const keyOf = (rig: AgentRig) => Buffer.from(rig.sent[0]!.replace(/^key /, ''), 'hex');
const fakeResult = (id: number, stdout = 'forged') =>
  JSON.stringify({
    t: 'result',
    id,
    exitCode: 0,
    signal: null,
    stdout: Buffer.from(stdout).toString('base64'),
    stderr: '',
    truncated: false,
    timedOut: false,
    oomKilled: false,
    durationMs: 1,
  });

/** One hostile item: whole lines, unterminated runs, invalid UTF-8 and forged replies for the ids in flight. */
function hostile(rand: () => number, ids: number[]): Buffer {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const id = pick([...ids, 0, -1, 999, 1e308]);
  const wrongKey = randomBytes(32);
  switch (Math.floor(rand() * 12)) {
    case 0:
      return line(pick(['null', '0', '-1', '1e999', 'true', '"ready"', '[]', '[1,2]', '{}', '']));
    case 1:
      return line(
        JSON.stringify(pick([{ ready: true }, { t: 'ready', pid: 1, oom: 0 }, { id }, { t: 'result', id }, { __proto__: null }])),
      );
    case 2:
      return line(fakeResult(id)); // unsigned
    case 3:
      return line(`${'0'.repeat(64)} ${fakeResult(id)}`); // a MAC of the right shape, wrong value
    case 4:
      return Buffer.from(signLine(wrongKey, REPLY_DOMAIN, fakeResult(id)));
    case 5:
      return line(`${createHmac('sha256', wrongKey).update(fakeResult(id)).digest('hex')}${fakeResult(id)}`);
    case 6:
      return Buffer.concat([randomBytes(Math.floor(rand() * 4096)), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x0a])]); // invalid UTF-8
    case 7:
      return Buffer.alloc(Math.floor(rand() * 3 * 1024 * 1024), 'A'); // huge, unterminated
    case 8:
      return line('{'.repeat(Math.floor(rand() * 100_000))); // deep nesting, never valid
    case 9:
      return Buffer.alloc(Math.floor(rand() * 20_000), '\n'); // empty-line flood
    case 10:
      return line(`${'f'.repeat(64)} ${'x'.repeat(Math.floor(rand() * 200_000))}`);
    default:
      return line(JSON.stringify({ t: 'result', id, exitCode: 'zero', stdout: '!!!', stderr: 7 }));
  }
}

describe('exec agent channel under attack', function () {
  this.timeout(60_000);
  let rig: AgentRig | undefined;
  afterEach(() => {
    rig?.dispose();
    rig = undefined;
  });

  it('survives hostile lines before ready and accepts only a ready signed with its key', async () => {
    rig = silentAgent();
    let ready = false;
    void rig.client.ready.then(() => {
      ready = true;
    });
    for (const l of ['null', '1', '[]', '"x"', '{"ready":true}', '{"t":"ready","pid":1,"oom":0}', '{}', 'null']) rig.wire.write(line(l));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(ready, false, 'a forged ready was accepted');
    assert.match(rig.sent[0]!, /^key [0-9a-f]{64}$/);
    rig.wire.write('\n' + signLine(keyOf(rig), REPLY_DOMAIN, JSON.stringify({ t: 'ready', pid: 7, oom: 0 })));
    await rig.client.ready;
  });

  for (const seed of [1, 2, 3, 0xa1b10c]) {
    it(`seeded fuzz ${seed}: hostile lines and forged replies are dropped, memory stays capped, the real reply matches`, async () => {
      rig = realAgent();
      await rig.client.ready;
      const rand = prng(seed);
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-fuzz-'));
      const gate = path.join(tmp, 'go');
      // The command waits for the gate, so every hostile byte lands while its reply is pending.
      const pending = rig.client.exec({ argv: ['sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.02; done; echo real`], timeoutMs: 30_000 });
      let maxHeld = 0;
      const cap = rig.client.lineCap();
      const check = () => {
        maxHeld = Math.max(maxHeld, rig!.client.bufferedBytes);
        assert.ok(rig!.client.bufferedBytes <= rig!.client.lineCap());
      };
      for (let i = 0; i < 150; i++) await feed(rig.wire, hostile(rand, [1, 2]), 1 + Math.floor(rand() * 256 * 1024), check);
      fs.writeFileSync(gate, '');
      const r = await pending;
      assert.equal(r.stdout, 'real\n');
      assert.equal(r.exitCode, 0);
      assert.ok(maxHeld <= cap && cap < 3 * 1024 * 1024, `held ${maxHeld}, cap ${cap}`);
      // The channel still works after the storm.
      assert.equal((await rig.client.exec({ argv: ['echo', 'after'] })).stdout, 'after\n');
      fs.rmSync(tmp, { recursive: true, force: true });
    });
  }

  it('replayed replies and reflected requests are not accepted for another request', async () => {
    rig = realAgent();
    await rig.client.ready;
    const captured: Buffer[] = [];
    rig.child!.stdout!.on('data', (b: Buffer) => captured.push(b));
    assert.equal((await rig.client.exec({ argv: ['echo', 'one'] })).stdout, 'one\n');
    const oldReply = Buffer.concat(captured);
    const p = rig.client.exec({ argv: ['sh', '-c', 'sleep 0.3; echo two'] });
    // The reply for id 1 again (a genuine MAC), and the kernel's own signed request for id 2 reflected back.
    rig.wire.write(oldReply);
    rig.wire.write(Buffer.from(oldReply.toString().replace('"id":1', '"id":2')));
    rig.wire.write(line(rig.sent.at(-1)!));
    assert.equal((await p).stdout, 'two\n');
  });

  it("a command cannot inject or replay requests through the agent's stdin", async () => {
    rig = realAgent();
    await rig.client.ready;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-inject-'));
    const log = path.join(tmp, 'log');
    await rig.client.exec({ argv: ['sh', '-c', `echo ran >> ${log}`] });
    const p = rig.client.exec({ argv: ['sh', '-c', 'sleep 0.3; echo genuine'] });
    // Unsigned request for the pending id, and the first (signed) request replayed.
    rig.child!.stdin!.write(line(JSON.stringify({ id: 2, argv: ['sh', '-c', 'echo injected'] })));
    rig.child!.stdin!.write(line(rig.sent[1]!));
    assert.equal((await p).stdout, 'genuine\n');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(fs.readFileSync(log, 'utf8'), 'ran\n');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('200 MiB without a newline is discarded unbuffered and the pending reply still arrives', async () => {
    rig = realAgent();
    await rig.client.ready;
    const rss0 = process.memoryUsage().rss;
    const pending = rig.client.exec({ argv: ['sh', '-c', 'sleep 0.5; echo survived'] });
    const mib = Buffer.alloc(1024 * 1024, 'B');
    const cap = rig.client.lineCap();
    let maxHeld = 0;
    for (let i = 0; i < 200; i++)
      await feed(rig.wire, mib, 1024 * 1024, () => {
        maxHeld = Math.max(maxHeld, rig!.client.bufferedBytes);
      });
    assert.equal((await pending).stdout, 'survived\n');
    assert.ok(maxHeld <= cap, `held ${maxHeld} bytes, cap ${cap}`);
    const grew = process.memoryUsage().rss - rss0;
    assert.ok(grew < 96 * 1024 * 1024, `rss grew by ${grew >> 20} MiB`);
  });

  it('a flood past the budget fails pending commands cleanly and closes the channel', async () => {
    rig = realAgent({ floodBudgetBytes: 4 * 1024 * 1024 });
    await rig.client.ready;
    const pending = rig.client.exec({ argv: ['sleep', '5'] });
    await feed(rig.wire, Buffer.alloc(8 * 1024 * 1024, 'x\n'));
    await assert.rejects(pending, (e: { code?: string }) => e.code === 'SANDBOX_AGENT_FLOOD');
    await assert.rejects(rig.client.exec({ argv: ['true'] }), (e: { code?: string }) => e.code === 'SANDBOX_AGENT_FLOOD');
  });

  it('a request that is never answered fails after its timeout plus grace, and the channel counts as broken', async () => {
    rig = silentAgent({ graceMs: 100 });
    const t0 = Date.now();
    const a = rig.client.exec({ argv: ['sleep', '100'], timeoutMs: 100 });
    const b = rig.client.exec({ argv: ['sleep', '100'], timeoutMs: 60_000 });
    b.catch(() => undefined); // observed below, after `a`
    await assert.rejects(
      a,
      (e: { code?: string; message: string }) => e.code === 'SANDBOX_AGENT_UNRESPONSIVE' && /"sleep"/.test(e.message),
    );
    assert.ok(Date.now() - t0 >= 190, 'failed before the deadline');
    await assert.rejects(b, (e: { code?: string }) => e.code === 'SANDBOX_AGENT_UNRESPONSIVE');
    await assert.rejects(rig.client.exec({ argv: ['true'] }), (e: { code?: string }) => e.code === 'SANDBOX_AGENT_UNRESPONSIVE');
  });

  it('deadlines stop while the sandbox is paused and start again on resume', async () => {
    rig = silentAgent({ graceMs: 50 });
    let failed = false;
    const a = rig.client.exec({ argv: ['x'], timeoutMs: 50 }).catch((e) => {
      failed = true;
      throw e;
    });
    rig.client.suspendDeadlines();
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(failed, false);
    rig.client.resumeDeadlines();
    await assert.rejects(a, (e: { code?: string }) => e.code === 'SANDBOX_AGENT_UNRESPONSIVE');
  });

  it('a command without a timeout is sent with the default one', async () => {
    rig = silentAgent({ defaultTimeoutMs: 1234 });
    void rig.client.exec({ argv: ['true'] }).catch(() => undefined);
    assert.equal(JSON.parse(rig.sent.at(-1)!.slice(65)).timeoutMs, 1234);
  });

  it('answers even when a process that left the group holds the output pipe open', async () => {
    rig = realAgent();
    await rig.client.ready;
    const t0 = Date.now();
    const r = await rig.client.exec({ argv: ['sh', '-c', 'setsid sleep 6 & echo started'], timeoutMs: 20_000 });
    assert.equal(r.stdout, 'started\n');
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  });

  it('refuses a request larger than the agent accepts instead of sending it', async () => {
    rig = silentAgent();
    await assert.rejects(
      rig.client.exec({ argv: ['cat'], stdin: 'A'.repeat(49 * 1024 * 1024) }),
      (e: { code?: string }) => e.code === 'SANDBOX_EXEC_TOO_LARGE',
    );
  });
});
