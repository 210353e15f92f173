// search.grep's worker pool (threads walk and split subtrees) gives exactly the single-threaded result, in walk order.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assemble, disposeGrepPool, grep } from '../../../kernel/src/agent/tools/grep';
import { grepSync, type GrepQuery } from '../../../kernel/src/agent/tools/grep-core';
import { type GrepTask, runTask, type Segment, type WorkerMessage } from '../../../kernel/src/agent/tools/grep-worker';
import { ignoresAbove } from '../../../kernel/src/agent/tools/walk';

describe('search.grep worker pool', () => {
  let ws: string;
  const w = (rel: string, content: string | Buffer) => {
    fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
    fs.writeFileSync(path.join(ws, rel), content);
  };
  const signal = () => new AbortController().signal;

  before(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-grep-'));
    // A flat directory large enough to be split between threads, nested trees with .gitignore files at several levels.
    for (let i = 0; i < 1500; i++) w(`flat/f${String(i).padStart(4, '0')}.txt`, `row ${i}\n${i % 50 === 0 ? `hit flat ${i}\n` : ''}`);
    for (let i = 0; i < 1200; i++) w(`tree/a${i % 6}/b${i % 5}/c${i % 4}/g${i}.ts`, `x\n${i % 37 === 0 ? `hit tree ${i}\n` : ''}y ${i}\n`);
    w('tree/.gitignore', '*.log\nb3/\n');
    w('tree/a1/.gitignore', '!keep.log\nc2/\n');
    w('tree/a1/keep.log', 'hit kept log\n');
    w('tree/a2/drop.log', 'hit dropped log\n');
    w('tree/a0/bin.dat', Buffer.from('hit \0 binary'));
    w('hit-root.md', 'hit at the root\n');
  });
  after(() => {
    disposeGrepPool();
    fs.rmSync(ws, { recursive: true, force: true });
  });

  const cases: Array<[string, GrepQuery]> = [
    ['everything', { pattern: 'hit \\w+', maxResults: 100_000 }],
    ['a sub-path under nested .gitignore files', { pattern: 'hit', path: 'tree/a1', maxResults: 100_000 }],
    ['globs', { pattern: 'hit', globs: ['*.ts', '!**/a3/**'], maxResults: 100_000 }],
    ['no .gitignore', { pattern: 'hit', gitignore: false, maxResults: 100_000 }],
    ['no literal to pre-filter on', { pattern: '[hH]it\\s\\S+', maxResults: 100_000 }],
  ];
  for (const [name, q] of cases) {
    it(`agrees with the single-threaded grep: ${name}`, async () => {
      const a = await grep(ws, q, signal());
      const b = grepSync(ws, q);
      assert.ok(b.matches.length > 5, `${name}: the case must find something (${b.matches.length})`);
      assert.deepEqual(a.matches, b.matches);
      assert.equal(a.filesSearched, b.filesSearched);
      assert.equal(a.truncated, false);
    });
  }

  it('respects every .gitignore in split-off subtrees', async () => {
    const paths = new Set((await grep(ws, { pattern: 'hit', maxResults: 100_000 }, signal())).matches.map((m) => m.path));
    assert.ok(paths.has('tree/a1/keep.log'), 'negation in a deeper .gitignore re-includes');
    assert.ok(!paths.has('tree/a2/drop.log'));
    assert.ok(
      ![...paths].some((p) => p.includes('/b3/') || (p.startsWith('tree/a1/') && p.includes('/c2/'))),
      'ignored directories are not searched',
    );
    assert.ok(!paths.has('tree/a0/bin.dat'), 'binary files are skipped');
  });

  it('keeps walk order when work is split off at every opportunity (subtrees and runs of files)', () => {
    // In-thread: `demand` never runs out, so every directory descent and every 64 files of a large run split work off.
    for (const [, q] of cases) {
      const demand = new Int32Array(new SharedArrayBuffer(4));
      Atomics.store(demand, 0, 1_000_000);
      const control = new Int32Array(new SharedArrayBuffer(8));
      const results = new Map<number, { segments: Segment[]; searched: number }>();
      const rel = q.path ?? '';
      const useIgnore = q.gitignore !== false;
      const queue: Array<{ id: number; task: GrepTask }> = [
        {
          id: 0,
          task: {
            type: 'dir',
            rel,
            useIgnore,
            ignores: useIgnore ? ignoresAbove(ws, rel).map((f) => ({ baseRel: f.baseRel, text: f.text })) : [],
          },
        },
      ];
      let spawned = 0,
        fileRuns = 0;
      // Last in, first out: split-off tasks run before the rest, so results arrive in an order unlike the walk.
      while (queue.length) {
        const { id, task } = queue.pop()!;
        const post = (m: WorkerMessage) => {
          if (m.type === 'spawn') {
            spawned++;
            if (m.task.type === 'files') fileRuns++;
            queue.push({ id: m.id, task: m.task });
          }
        };
        const done = runTask({ search: 1, id, root: ws, query: q, limit: q.maxResults!, demand, control, task }, post);
        assert.ok(done.type === 'done' && !done.error);
        if (done.type === 'done') results.set(id, { segments: done.segments, searched: done.searched });
      }
      const b = grepSync(ws, q);
      const a = assemble(results, q.maxResults!);
      assert.ok(spawned >= 5, `splits happened (${spawned})`);
      if (!q.path) assert.ok(fileRuns >= 3, `runs of files were split more than once (${fileRuns})`);
      assert.deepEqual(a.matches, b.matches);
      assert.equal(a.filesSearched, b.filesSearched);
    }
  });

  it('returns the first maxResults matches in walk order and says it was capped', async () => {
    const all = grepSync(ws, { pattern: 'hit', maxResults: 100_000 }).matches;
    for (const limit of [1, 7, 40]) {
      const r = await grep(ws, { pattern: 'hit', maxResults: limit }, signal());
      assert.deepEqual(r.matches, all.slice(0, limit));
      assert.equal(r.truncated, true);
    }
  });

  it('skips files over maxFileBytes, as the single-threaded grep does', async () => {
    const q = { pattern: 'hit', maxFileBytes: 12, maxResults: 100_000 };
    const a = await grep(ws, q, signal());
    assert.deepEqual(a.matches, grepSync(ws, q).matches);
    assert.ok(a.matches.every((m) => fs.statSync(path.join(ws, m.path)).size <= 12));
  });

  it('rejects with the abort reason, and the pool keeps working afterwards', async () => {
    const ac = new AbortController();
    const p = grep(ws, { pattern: 'hit', maxResults: 100_000 }, ac.signal);
    ac.abort(new Error('stop now'));
    await assert.rejects(p, /stop now/);
    const pre = new AbortController();
    pre.abort(new Error('already'));
    await assert.rejects(grep(ws, { pattern: 'hit' }, pre.signal), /already/);
    assert.ok((await grep(ws, { pattern: 'hit', maxResults: 5 }, signal())).matches.length === 5);
  });

  it('runs concurrent searches without mixing their results', async () => {
    const qs: GrepQuery[] = [
      { pattern: 'hit flat \\d+', maxResults: 100_000 },
      { pattern: 'hit tree \\d+', maxResults: 100_000 },
      { pattern: 'row 1\\d\\b', maxResults: 100_000 },
    ];
    const rs = await Promise.all(qs.map((q) => grep(ws, q, signal())));
    rs.forEach((r, i) => assert.deepEqual(r.matches, grepSync(ws, qs[i]).matches));
  });
});
