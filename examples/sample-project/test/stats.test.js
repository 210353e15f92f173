const test = require('node:test');
const assert = require('node:assert/strict');
const { mean, median } = require('../src/stats');

test('mean of a few numbers', () => {
  assert.equal(mean([1, 2, 3, 4]), 2.5);
});

test('median of an odd count', () => {
  assert.equal(median([3, 1, 2]), 2);
});

test('median of an even count', () => {
  assert.equal(median([4, 1, 3, 2]), 2.5);
});
