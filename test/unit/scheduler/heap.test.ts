import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { MinHeap } from '../../../kernel/src/scheduler/heap';
import { findCycle } from '../../../kernel/src/scheduler/dag';

interface Item {
  v: number;
  id: number;
  heapIndex: number;
}

describe('scheduler/heap', () => {
  it('pops in the same order as a sort, with arbitrary removals in between (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (vals, removals) => {
          const heap = new MinHeap<Item>((a, b) => a.v < b.v || (a.v === b.v && a.id < b.id));
          const items = vals.map((v, id) => ({ v, id, heapIndex: -1 }));
          for (const it of items) heap.push(it);
          const removed = new Set<Item>();
          for (const r of removals) {
            if (!items.length) break;
            const it = items[r % items.length];
            assert.equal(heap.remove(it), !removed.has(it));
            removed.add(it);
          }
          const expected = items.filter((i) => !removed.has(i)).sort((a, b) => a.v - b.v || a.id - b.id);
          const got: Item[] = [];
          for (let x = heap.pop(); x; x = heap.pop()) got.push(x);
          assert.deepEqual(
            got.map((i) => i.id),
            expected.map((i) => i.id),
          );
          assert.ok(got.every((i) => i.heapIndex === -1));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('scheduler/dag', () => {
  it('names the cycle a new task would close, and finds none in a DAG', () => {
    const deps: Record<string, string[]> = { a: ['b'], b: ['c'], x: ['a'] };
    assert.deepEqual(
      findCycle('c', ['a'], (id) => deps[id]),
      ['c', 'a', 'b', 'c'],
    );
    assert.deepEqual(
      findCycle('s', ['s'], (id) => deps[id]),
      ['s', 's'],
    );
    assert.deepEqual(
      findCycle('c', ['zz', 'x'], (id) => deps[id]),
      ['c', 'x', 'a', 'b', 'c'],
    );
    assert.equal(
      findCycle('d', ['x', 'zz'], (id) => deps[id]),
      undefined,
    );
  });
});
