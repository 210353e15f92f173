const test = require('node:test');
const assert = require('node:assert/strict');
const { lineText, totalText } = require('../src/cart');

const items = [{ name: 'tea', qty: 2, cents: 350 }, { name: 'cake', qty: 1, cents: 425 }];
test('line', () => assert.equal(lineText(items[0]), '2 x tea @ $3.50'));
test('total', () => assert.equal(totalText(items), 'total $11.25'));
