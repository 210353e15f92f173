// Trust you can check, through the real kernel container: verify-before-merge reruns the tests on exactly the accepted
// hunks in a fresh Docker sandbox (a policy refuses the merge until they pass), and `audit blame` follows a line through
// two merges back to the set, the hunk, the decision, the tool call and the model turn.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import type { AirlockError } from '../../../protocol/src/errors';
import { KernelSupervisor } from '../../../bootstrap';
import { assets } from '../../../protocol/src/node/assets';
import * as actions from '../../../cli/src/review/actions';
import { verifyAttestation } from '../../../cli/src/audit/attest';
import { auditPaths } from '../../../core/src/audit/types';
import type { CliIO } from '../../../cli/src/command';
import { describeProvenance as describeLine } from '../../../protocol/src/provenance-text';
import { call, fin, removeKernel, runTask, SAMPLE_REPLAY, sampleWorkspace, text, writeReplay } from './helpers';

/** The shipped policies; the kernel's (strict) one requires passing tests on the accepted tree to merge src/** or test/**. */
function policies(base: string): string {
  const dir = path.join(base, 'policies');
  fs.cpSync(assets().policiesDir, dir, { recursive: true });
  fs.appendFileSync(
    path.join(dir, 'strict.yaml'),
    `
  - id: verify-before-merge
    effect: deny
    subjects: ["user:*"]
    actions: ["patch.apply"]
    resources: ["src/**", "test/**"]
    when: { tests_passed_on_accepted: false }
    reason: merging code needs passing tests on exactly the accepted changes
`,
  );
  return dir;
}

describe('verify before merge and provenance (real kernel, Docker sandboxes)', function () {
  this.timeout(600_000);
  let sup: KernelSupervisor;
  let client: RpcClient;
  let base: string;
  let workspace: string;
  let ctx: actions.ReviewCtx;
  let out: string[] = [];
  let firstSet = '';

  before(async () => {
    ({ base, workspace } = sampleWorkspace());
    writeReplay(workspace, 'again', [
      [
        text('Make the comparator explicit.'),
        ...call(0, 'e1', 'fs.edit', {
          path: 'src/stats.js',
          oldText: 'const sorted = [...values].sort((a, b) => a - b);',
          newText: 'const sorted = [...values].sort((a, b) => a - b); // numeric order',
        }),
        ...call(1, 'e2', 'fs.edit', {
          path: 'test/median.test.js',
          oldText: "const test = require('node:test');",
          newText: "// Regression tests for median.\nconst test = require('node:test');",
        }),
        fin('tool-calls'),
      ],
      [text('Done.'), fin('stop')],
    ]);
    sup = await KernelSupervisor.start({
      workspace,
      stateRoot: path.join(base, 'state'),
      runtime: 'docker',
      maxRestarts: 2,
      policiesDir: policies(base),
    });
    client = await sup.ready();
    const io: CliIO = {
      out: (l) => out.push(l),
      err: (l) => out.push(`ERR ${l}`),
      readStdin: async () => '',
      cwd: workspace,
      env: { HOME: base },
    };
    ctx = { client, workspace, io, journalDir: path.join(base, 'journal') };
  });
  after(async () => {
    if (sup) await removeKernel(sup);
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('a partial acceptance that breaks the tests fails verification by name and cannot merge; the whole set passes and merges', async () => {
    const run = await runTask(client, {
      prompt: 'Fix the median bug in src/stats.js and add a test',
      replay: SAMPLE_REPLAY,
      mode: 'explore',
    });
    assert.equal((await run.finished).status, 'completed');
    const setId = run.ready[0].setId;
    firstSet = setId;
    // Only the new test: it fails without the fix it was written for.
    await actions.decide(ctx, setId, 'accept', ['test/median.test.js'], []);
    await actions.decide(ctx, setId, 'reject', ['src/stats.js'], []);
    const bad = await client.request('review/verify', { id: setId });
    assert.equal(bad.outcome, 'failed', JSON.stringify(bad));
    assert.deepEqual(bad.failing, ['median sorts numbers by value, not as strings']);
    assert.equal(bad.passed, 3);
    assert.match(bad.image ?? '', /code-executor/);
    assert.match(bad.treeDigest, /^sha256:[0-9a-f]{64}$/);
    await assert.rejects(
      actions.merge(ctx, setId),
      (e: AirlockError) => e.code === 'PATCH_MERGE_REFUSED' && e.message.includes('median sorts numbers by value'),
    );
    assert.equal(fs.existsSync(path.join(workspace, 'test/median.test.js')), false, 'nothing was merged');
    out = [];
    await actions.show(ctx, setId, false);
    assert.ok(
      out.some((l) => l.startsWith('verified on accepted changes: FAILED (1 failed, 3 passed)')),
      out.join('\n'),
    );

    // Accepting the fix too changes the tree: the failed run no longer describes it, and a new run passes.
    await actions.decide(ctx, setId, 'accept', ['src/stats.js'], []);
    out = [];
    await actions.show(ctx, setId, false);
    assert.ok(
      out.some((l) => l.includes('[stale')),
      out.join('\n'),
    );
    await assert.rejects(
      actions.merge(ctx, setId),
      (e: AirlockError) => e.code === 'PATCH_MERGE_REFUSED' && /another accepted subset/.test(e.message),
    );
    const good = await client.request('review/verify', { id: setId });
    assert.deepEqual({ outcome: good.outcome, passed: good.passed, failing: good.failing }, { outcome: 'passed', passed: 4, failing: [] });
    assert.notEqual(good.treeDigest, bad.treeDigest);
    assert.equal(await actions.merge(ctx, setId), 0);
    assert.match(fs.readFileSync(path.join(workspace, 'src/stats.js'), 'utf8'), /sort\(\(a, b\) => a - b\)/);
    // Audited: both runs, and the merge with the digest of the tree it wrote and the run that verified it.
    const verifies = (await client.request('audit/query', { action: 'review.verify', resource: setId, order: 'asc', payloads: true }))
      .entries;
    assert.deepEqual(
      verifies.map((e) => e.decision),
      ['failed', 'passed'],
    );
    const merged = (await client.request('audit/query', { action: 'review.merged', resource: setId, payloads: true })).entries[0];
    const p = merged.payload as { treeDigest: string; verification: { outcome: string; treeDigest: string; ofMergedTree: boolean } };
    assert.deepEqual(
      { d: p.treeDigest, v: p.verification.outcome, of: p.verification.ofMergedTree },
      { d: good.treeDigest, v: 'passed', of: true },
    );
    assert.equal((await client.request('audit/verify', {})).type, 'intact');
  });

  it('blame follows lines through two merges that touched the same file and line, back to set, hunk, decision, tool call and model turn', async () => {
    assert.ok(firstSet, 'the first test merged the sample set');
    const run = await runTask(client, { prompt: 'Make the comparator explicit', replay: '.replays/again.jsonl', mode: 'explore' });
    assert.equal((await run.finished).status, 'completed');
    const second = run.ready[0].setId;
    await actions.decide(ctx, second, 'accept', [], []);
    assert.equal((await client.request('review/verify', { id: second })).outcome, 'passed');
    assert.equal(await actions.merge(ctx, second), 0);
    const blame = async (p: string, line: number) => (await client.request('audit/blame', { path: p, line })).lines[0];

    // The sort line: written by the first merge, rewritten by the second: the second is its provenance.
    const sort = await blame('src/stats.js', 12);
    assert.equal(sort.text, '  const sorted = [...values].sort((a, b) => a - b); // numeric order');
    assert.equal(sort.origin, 'merged');
    assert.equal(sort.merge?.setId, second);
    assert.deepEqual(
      sort.hunk?.links?.toolCalls.map((c) => [c.callId, c.tool, c.turn]),
      [['e1', 'fs.edit', 1]],
    );
    assert.deepEqual(sort.hunk?.links?.turns, [1]);
    assert.equal(sort.hunk?.links?.decision?.decision, 'accept');
    assert.equal(sort.hunk?.links?.task?.taskId, run.taskId);
    assert.equal(sort.hunk?.links?.sandbox, undefined, 'the second task only edited files: it never needed a sandbox');
    assert.deepEqual({ v: sort.verification?.outcome, of: sort.verification?.ofMergedTree }, { v: 'passed', of: true });
    // The audit entries it names are the real ones.
    const decide = (await client.request('audit/query', { action: 'review.decide', resource: second, payloads: false })).entries.at(-1);
    assert.deepEqual(sort.hunk?.links?.decision?.audit, { seq: decide!.seq, hash: decide!.hash });

    // A line of the first merge that the second moved down by one: followed through the second merge to the first.
    const t = await blame('test/median.test.js', 6);
    assert.equal(t.text, "test('median sorts numbers by value, not as strings', () => {");
    assert.equal(t.merge?.setId, firstSet);
    assert.deepEqual(
      t.hunk?.links?.toolCalls.map((c) => [c.callId, c.tool, c.turn]),
      [['call_5', 'fs.write', 3]],
    );
    assert.match(t.hunk?.links?.sandbox?.template ?? '', /code-executor/, 'the sample task ran its tests in its sandbox');
    assert.deepEqual({ p: t.hunk?.links?.task?.provider, m: t.hunk?.links?.task?.mode }, { p: 'replay', m: 'explore' });
    assert.ok(
      t.trail.some((x) => x.includes(second) && x.includes('line 5 before it')),
      t.trail.join('\n'),
    );
    assert.equal((await blame('test/median.test.js', 1)).merge?.setId, second);
    assert.equal((await blame('src/stats.js', 1)).origin, 'workspace');

    // A person's edit after the merges: their line is theirs, the merged line is still found (one line further down).
    const file = path.join(workspace, 'src/stats.js');
    fs.writeFileSync(file, `// edited by hand\n${fs.readFileSync(file, 'utf8')}`);
    const mine = await blame('src/stats.js', 1);
    assert.equal(mine.origin, 'workspace');
    assert.match(mine.trail.join('\n'), /edited in the workspace after merge/);
    const moved = await blame('src/stats.js', 13);
    assert.equal(moved.merge?.setId, second);
    const text = describeLine(moved).join('\n');
    assert.match(text, new RegExp(`patch set ${second}`));
    assert.match(text, /tool call e1 fs\.edit in model turn 1/);
    assert.match(text, /verified before merge: passed on the merged tree/);
    const all = (await client.request('audit/blame', { path: 'src/stats.js' })).lines;
    assert.equal(all.length, 18);
    assert.deepEqual(
      all.filter((l) => l.origin === 'merged').map((l) => l.line),
      [13],
    );
    assert.equal((await client.request('audit/verify', {})).type, 'intact');
  });

  it('attests a merged set: verified offline with the pinned key and a copy of the log; one changed byte of a hunk, an entry or the signature fails it', async () => {
    assert.ok(firstSet);
    const bundle = await client.request('audit/attest', { setId: firstSet });
    const dir = path.join(base, 'attest');
    fs.mkdirSync(dir);
    const write = (name: string, b: unknown) => {
      fs.writeFileSync(path.join(dir, name), JSON.stringify(b));
      return name;
    };
    fs.writeFileSync(path.join(dir, 'kernel.pem'), bundle.publicKey);
    const io: CliIO = { out: (l) => out.push(l), err: (l) => out.push(`ERR ${l}`), readStdin: async () => '', cwd: dir, env: {} };
    const check = (file: string, o: { pubkey?: string; db?: string } = { pubkey: 'kernel.pem' }) => {
      out = [];
      return verifyAttestation(io, file, o);
    };

    const st = JSON.parse(Buffer.from(bundle.envelope.payload, 'base64').toString('utf8'));
    assert.equal(st._type, 'https://in-toto.io/Statement/v1');
    assert.equal(st.predicateType, 'https://slsa.dev/provenance/v1');
    assert.deepEqual(st.subject.map((x: { name: string }) => x.name).sort(), ['src/stats.js', 'test/median.test.js']);
    assert.ok(bundle.entries.some((e) => e.action === 'review.merged') && bundle.entries.some((e) => e.action === 'tool.decision'));
    assert.equal(check(write('good.json', bundle)), 0, out.join('\n'));
    assert.match(out[0], /^attestation OK: patch set ps_\w+, 2 file\(s\), signed by key [0-9a-f]{16}… \(pinned\)/);
    assert.equal(check('good.json', { pubkey: 'kernel.pem', db: auditPaths(sup.paths.state).dbPath }), 0, out.join('\n'));

    const hunk = structuredClone(bundle);
    hunk.hunks[0].lines[0] = hunk.hunks[0].lines[0].replace(/.$/, (c) => (c === 'x' ? 'y' : 'x'));
    assert.equal(check(write('hunk.json', hunk)), 1);
    assert.match(out.join('\n'), /lines do not match its digest/);

    const entry = structuredClone(bundle);
    const e = entry.entries.find((x) => x.action === 'review.decide')!;
    e.resource = `${e.resource.slice(0, -1)}${e.resource.endsWith('a') ? 'b' : 'a'}`;
    assert.equal(check(write('entry.json', entry)), 1);
    assert.match(out.join('\n'), new RegExp(`audit entry #${e.seq} \\(review.decide\\) does not match its hash`));

    const sig = structuredClone(bundle);
    const raw = Buffer.from(sig.envelope.signatures[0].sig, 'base64');
    raw[0] ^= 1;
    sig.envelope.signatures[0].sig = raw.toString('base64');
    assert.equal(check(write('sig.json', sig)), 1);
    assert.match(out.join('\n'), /signature does not verify/);

    const other = crypto.generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
    fs.writeFileSync(path.join(dir, 'other.pem'), other);
    assert.equal(check('good.json', { pubkey: 'other.pem' }), 1, 'a key other than the pinned one fails');
  });
});
