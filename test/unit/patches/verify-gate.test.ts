// Verify before merge, without an engine: the policy condition, the accepted-tree digest and file writer, and the
// review/plan gate over RPC (a recorded verification stands in for the sandbox run, which test/integration covers).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RpcClient } from '../../../protocol/src/rpc-client';
import { ServerConnection } from '../../../protocol/src/rpc-server';
import { createInProcessPair } from '../../../protocol/src/transport';
import { AirlockError } from '../../../protocol/src/errors';
import type { Verification } from '../../../protocol/src/provenance';
import { PolicyEngine } from '../../../core/src/policy/engine';
import { parsePolicyText } from '../../../core/src/policy/loader';
import { reviewHandlers } from '../../../kernel/src/handlers/registry';
import { type PatchAuditEvent, PatchService } from '../../../kernel/src/patches/service';
import { acceptedTreeDigest, writeAcceptedTree } from '../../../kernel/src/patches/verify-tree';
import { MERGE_SUBJECT } from '../../../kernel/src/patches/merge-gate';
import { sha256 } from '../../../core/src/apply/file-hash';
import * as actions from '../../../cli/src/review/actions';
import type { CliIO } from '../../../cli/src/command';
import { rm, tempDir, writeTree } from './helpers';

const REQUIRE = `version: 1
rules:
  - id: verify-before-merge
    effect: deny
    subjects: ["user:*"]
    actions: [patch.apply]
    resources: ["src/**"]
    when: { tests_passed_on_accepted: false }
    reason: "merging sources needs passing tests on the accepted changes"
`;
/** No audit entries or transcripts to link merged hunks to (the integration test has the real ones). */
const noLog = { audit: { writer: { query: () => ({ entries: [] }) } }, sessions: { events: () => [] } };
const noTasks = {
  prepareExternal: (): never => {
    throw new AirlockError('SANDBOX_NO_RUNTIME', 'no container engine in this test');
  },
};
const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}\n`).join('');

function engine(text?: string): PolicyEngine {
  const e = new PolicyEngine();
  if (text) e.loadParsed(() => [parsePolicyText(text, 'merge.yaml')]);
  return e;
}

describe('verify before merge: policy condition, accepted tree, merge gate', () => {
  it('tests_passed_on_accepted matches the request context, and an unknown result counts as not passed', () => {
    const e = engine(REQUIRE);
    const ask = (ctx: { tests_passed_on_accepted?: boolean }) =>
      e.evaluate({ subject: MERGE_SUBJECT, action: 'patch.apply', resource: 'src/a.js', context: ctx }).matched;
    assert.deepEqual(ask({ tests_passed_on_accepted: false }), ['verify-before-merge']);
    assert.deepEqual(ask({}), ['verify-before-merge'], 'unknown = not passed (fail closed)');
    assert.deepEqual(ask({ tests_passed_on_accepted: true }), []);
  });

  it('the tree digest changes with any written byte, mode or hunk set, and not with op order', () => {
    const w = (p: string, h: string, mode = 0o644) => ({
      type: 'write' as const,
      path: p,
      expect: null,
      content: { encoding: 'utf8' as const, text: '' },
      newHash: h.repeat(64),
      mode,
    });
    const d = acceptedTreeDigest({ ops: [w('a', '1'), w('b', '2')], appliedHunks: ['h1'] });
    assert.equal(acceptedTreeDigest({ ops: [w('b', '2'), w('a', '1')], appliedHunks: ['h1'] }), d);
    assert.notEqual(acceptedTreeDigest({ ops: [w('a', '1'), w('b', '3')], appliedHunks: ['h1'] }), d);
    assert.notEqual(acceptedTreeDigest({ ops: [w('a', '1', 0o755), w('b', '2')], appliedHunks: ['h1'] }), d);
    assert.notEqual(acceptedTreeDigest({ ops: [w('a', '1'), w('b', '2')], appliedHunks: ['h1', 'h2'] }), d);
  });

  it('writes the accepted files into a tree and refuses a path through a symlink', () => {
    const base = tempDir();
    try {
      const ws = path.join(base, 'ws');
      const root = path.join(base, 'root');
      writeTree(ws, { 'src/a.js': 'old\n' });
      fs.mkdirSync(root);
      fs.symlinkSync(path.join(base, 'elsewhere'), path.join(ws, 'out'));
      const text = 'new\n';
      writeAcceptedTree(
        root,
        ws,
        [
          {
            type: 'write',
            path: 'src/a.js',
            expect: sha256('old\n'),
            content: { encoding: 'utf8', text },
            newHash: sha256(text),
            mode: 0o644,
          },
        ],
        () => Buffer.alloc(0),
      );
      assert.equal(fs.readFileSync(path.join(root, 'src/a.js'), 'utf8'), 'new\n');
      assert.throws(
        () =>
          writeAcceptedTree(
            root,
            ws,
            [{ type: 'write', path: 'out/x', expect: null, content: { encoding: 'utf8', text }, newHash: sha256(text), mode: 0o644 }],
            () => Buffer.alloc(0),
          ),
        (e: AirlockError) => e.code === 'PATCH_VERIFY_UNSAFE_PATH',
      );
      assert.equal(fs.existsSync(path.join(base, 'elsewhere')), false);
      assert.throws(
        () =>
          writeAcceptedTree(
            root,
            ws,
            [{ type: 'write', path: 'src/b.js', expect: null, content: { encoding: 'utf8', text }, newHash: sha256('other'), mode: 0o644 }],
            () => Buffer.alloc(0),
          ),
        (e: AirlockError) => e.code === 'PATCH_VERIFY_CONTENT',
      );
    } finally {
      rm(base);
    }
  });

  describe('review/plan with a policy that requires it', () => {
    let base: string;
    let ws: string;
    let client: RpcClient;
    let svc: PatchService;
    let audit: PatchAuditEvent[];
    let dispose: () => void;
    let out: string[];
    let ctx: actions.ReviewCtx;
    beforeEach(async () => {
      base = tempDir();
      ws = path.join(base, 'ws');
      const up = path.join(base, 'upper');
      writeTree(ws, { 'src/a.js': lines(40) });
      writeTree(up, { 'src/a.js': lines(40).replace('line 2\n', 'line TWO\n').replace('line 33\n', 'line 33!\n') });
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
      await svc.generate({ type: 'overlay', upper: up }, { taskId: 't1', testsPassed: true });
      const [c, s] = createInProcessPair();
      const conn = new ServerConnection(s, {
        handlers: reviewHandlers({ patches: svc, policy: engine(REQUIRE), tasks: noTasks, ...noLog }),
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

    const verification = (setId: string, treeDigest: string, outcome: Verification['outcome'], failing: string[] = []): Verification => ({
      setId,
      treeDigest,
      hunks: [],
      outcome,
      passed: 3,
      failed: failing.length,
      failing,
      template: 'code-executor',
      exitCode: failing.length ? 1 : 0,
      durationMs: 1,
      at: Date.now(),
    });

    it('refuses the merge until the tests passed on exactly the accepted subset, names the failing test, and audits the verification with the merge', async () => {
      const [set] = svc.list();
      const f = svc.show(set.id).set.files[0];
      assert.ok(f.type === 'modify' && f.hunks.length === 2);
      await actions.decide(ctx, set.id, 'accept', [], [f.hunks[0].id]);
      await assert.rejects(
        client.request('review/plan', { id: set.id }),
        (e: AirlockError) => e.code === 'PATCH_MERGE_REFUSED' && /not verified/.test(e.message),
      );
      const digest = acceptedTreeDigest(await svc.plan(set.id));
      await svc.recordVerification(verification(set.id, digest, 'failed', ['median of an even count']));
      await assert.rejects(
        actions.merge(ctx, set.id),
        (e: AirlockError) => e.code === 'PATCH_MERGE_REFUSED' && e.message.includes('median of an even count'),
      );
      assert.equal(fs.readFileSync(path.join(ws, 'src/a.js'), 'utf8'), lines(40), 'nothing was written');
      out = [];
      await actions.show(ctx, set.id, false);
      assert.ok(
        out.some((l) => /verified on accepted changes: FAILED \(1 failed/.test(l)) && out.includes('  failing: median of an even count'),
        out.join('\n'),
      );
      // A passing run of another subset does not count.
      await svc.recordVerification(verification(set.id, acceptedTreeDigest({ ops: [], appliedHunks: ['x'] }), 'passed'));
      await assert.rejects(client.request('review/plan', { id: set.id }), /another accepted subset/);
      await svc.recordVerification(verification(set.id, digest, 'passed'));
      assert.equal(await actions.merge(ctx, set.id), 0);
      assert.equal(fs.readFileSync(path.join(ws, 'src/a.js'), 'utf8'), lines(40).replace('line 2\n', 'line TWO\n'));
      const merged = audit.find((e) => e.action === 'review.merged');
      assert.ok(merged?.action === 'review.merged');
      assert.deepEqual(
        { d: merged.detail.treeDigest, v: merged.detail.verification },
        { d: digest, v: { outcome: 'passed', treeDigest: digest, failing: [], ofMergedTree: true } },
      );
      assert.deepEqual(
        audit.filter((e) => e.action === 'review.verify').map((e) => e.action === 'review.verify' && e.detail.outcome),
        ['failed', 'passed', 'passed'],
      );
    });

    it('review/verify without a container engine is refused with a clear error', async () => {
      const [set] = svc.list();
      await assert.rejects(client.request('review/verify', { id: set.id }), (e: AirlockError) => e.code === 'SANDBOX_NO_RUNTIME');
    });
  });
});
