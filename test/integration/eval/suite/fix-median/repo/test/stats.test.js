const test = require('node:test');
const assert = require('node:assert/strict');
const { mean, median } = require('../src/stats');

test('mean', () => assert.equal(mean([1, 2, 3]), 2));
test('median of single digits', () => assert.equal(median([3, 1, 2]), 2));
