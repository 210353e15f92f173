// Unit parser: SI and IEC sizes, durations, and refusal of bad units.
import assert from 'node:assert/strict';
import { parseDuration, parseSize } from '../../../core/src/policy/units';

describe('policy units', () => {
  it('parses SI and IEC sizes', () => {
    assert.equal(parseSize('10MB'), 10_000_000);
    assert.equal(parseSize('1.5GiB'), 1.5 * 1024 ** 3);
    assert.equal(parseSize('512KiB'), 524_288);
    assert.equal(parseSize('1kB'), 1000);
    assert.equal(parseSize('42'), 42);
    assert.equal(parseSize(7), 7);
  });
  it('parses durations', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('1.5s'), 1500);
  });
  it('refuses bad units and shapes', () => {
    for (const bad of ['10mb', '1 parsec', 'MB', '-1MB', '1e3B', '1,5GiB', '']) assert.throws(() => parseSize(bad), /bad size/);
    for (const bad of ['5min', '1w', 's', '-5s', '2 hours']) assert.throws(() => parseDuration(bad), /bad duration/);
    assert.throws(() => parseSize(-1));
  });
});
