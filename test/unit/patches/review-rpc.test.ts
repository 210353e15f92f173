import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RpcClient } from '../../../protocol/src/rpc-client';
import { ServerConnection } from '../../../protocol/src/rpc-server';
import { createInProcessPair } from '../../../protocol/src/transport';
import { reviewHandlers } from '../../../kernel/src/handlers/registry';
import { type PatchAuditEvent, PatchService } from '../../../kernel/src/patches/service';
import * as actions from '../../../cli/src/review/actions';
import type { CliIO } from '../../../cli/src/command';
import { rm, tempDir, whiteout, writeTree } from './helpers';
import { PolicyEngine } from '../../../core/src/policy/engine';
import { AirlockError } from '../../../protocol/src/errors';

/** No container engine here: review/verify is refused like NoSandboxes refuses a task. */
/** No audit entries or transcripts to link merged hunks to (the integration test has the real ones). */
const noLog = { audit: { writer: { query: () => ({ entries: [] }) } }, sessions: { events: () => [] } };
const noTasks = {
  prepareExternal: (): never => {
    throw new AirlockError('SANDBOX_NO_RUNTIME', 'no container engine in this test');
  },
};

const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}\n`).join('');

describe('review: RPC methods and CLI actions end to end (in-process kernel)', () => {
  let base: string;
  let ws: string;
  let up: string;
  let client: RpcClient;
  let svc: PatchService;
  let audit: PatchAuditEvent[];
  let out: string[];
  let ctx: actions.ReviewCtx;
  let dispose: () => void;

  beforeEach(async () => {
    base = tempDir();
    ws = path.join(base, 'ws');
    up = path.join(base, 'upper');
    writeTree(ws, { 'a.txt': lines(40), 'gone.txt': 'bye\n', 'pic.bin': Buffer.from([0, 1, 2]) });
    writeTree(up, {
      'a.txt': lines(40).replace('line 2\n', 'line TWO\n').replace('line 33\n', 'line 33!\n'),
      'pic.bin': Buffer.from([0, 7, 7, 7]),
      'docs/new.md': '# new\n',
    });
    whiteout(up, 'gone.txt');
    audit = [];
    svc = new PatchService({
      stateDir: path.join(base, 'state'),
      workspace: ws,
      audit: {
        record: (e) => {
          audit.push(e);
        },
      },
    });
    const [c, s] = createInProcessPair();
    const conn = new ServerConnection(s, {
      handlers: reviewHandlers({ patches: svc, policy: new PolicyEngine(), tasks: noTasks, ...noLog }),
      kernel: { version: 't', pid: 1, startedAt: 0 },
    });
    client = new RpcClient(c);
    await client.handshake({ name: 'test', version: '0' });
    out = [];
    const io: CliIO = {
      out: (l) => out.push(l),
      err: (l) => out.push(`ERR ${l}`),
      readStdin: async () => '',
      cwd: ws,
      env: { HOME: base },
    };
    ctx = { client, workspace: ws, io, journalDir: path.join(base, 'journal') };
    dispose = () => {
      client.dispose();
      conn.dispose();
      rm(base);
    };
  });
  afterEach(() => dispose());

  it('lists, shows, accepts one hunk and rejects another, merges on the host, undoes, and audits each step', async () => {
    const set = await svc.generate({ type: 'overlay', upper: up }, { taskId: 't1', testsPassed: true });
    await actions.list(ctx);
    assert.match(out.join('\n'), new RegExp(`${set.id}  pending +4 files  \\+3 -3 `));
    const a = set.files.find((f) => f.path === 'a.txt');
    assert.ok(a?.type === 'modify' && a.hunks.length === 2);
    out = [];
    await actions.show(ctx, set.id, true);
    assert.ok(
      out.includes(`M a.txt`) && out.some((l) => l.includes(a.hunks[1].id)) && out.includes('B pic.bin (full file, binary, 4 bytes)'),
    );
    await actions.decide(ctx, set.id, 'accept', [], [a.hunks[0].id]);
    await actions.decide(ctx, set.id, 'reject', [], [a.hunks[1].id]);
    await actions.decide(ctx, set.id, 'accept', ['pic.bin', 'docs/new.md', 'gone.txt'], []);
    out = [];
    assert.equal(await actions.merge(ctx, set.id), 0);
    assert.equal(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8'), lines(40).replace('line 2\n', 'line TWO\n'));
    assert.deepEqual([...fs.readFileSync(path.join(ws, 'pic.bin'))], [0, 7, 7, 7]);
    assert.equal(fs.readFileSync(path.join(ws, 'docs/new.md'), 'utf8'), '# new\n');
    assert.equal(fs.existsSync(path.join(ws, 'gone.txt')), false);
    assert.equal((await client.request('review/show', { id: set.id })).set.status, 'merged');
    await actions.undo(ctx);
    assert.equal(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8'), lines(40));
    assert.equal(fs.readFileSync(path.join(ws, 'gone.txt'), 'utf8'), 'bye\n');
    assert.equal((await client.request('review/show', { id: set.id })).set.status, 'pending');
    assert.deepEqual(
      audit.map((e) => e.action),
      ['review.generated', 'review.decide', 'review.decide', 'review.decide', 'review.merged', 'review.merged'],
    );
    const text = await actions.exportSet(ctx, set.id);
    assert.match(text, /diff --git a\/pic.bin b\/pic.bin\nindex [0-9a-f]{40}\.\.[0-9a-f]{40} 100644\nGIT binary patch/);
  });

  it('rejects decisions on unknown files or hunks with clear errors, and refuses bad set ids', async () => {
    const set = await svc.generate({ type: 'overlay', upper: up });
    await assert.rejects(
      client.request('review/decide', { setId: set.id, items: [{ path: '../etc/passwd', decision: 'accept' }] }),
      /PATCH_UNKNOWN_FILE|not in patch set/,
    );
    await assert.rejects(
      client.request('review/decide', { setId: set.id, items: [{ path: 'a.txt', hunkId: 'h_0000000000000000', decision: 'accept' }] }),
      /not a hunk/,
    );
    await assert.rejects(client.request('review/show', { id: 'ps_../../x' } as never), /invalid params/);
    await actions.decide(ctx, set.id, 'reject', [], []);
    assert.equal((await client.request('review/show', { id: set.id })).set.status, 'rejected');
  });
});
