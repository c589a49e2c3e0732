import { test } from 'node:test';
import assert from 'node:assert/strict';
import { milliValue, parseQuantity, QuantityError, wholeValue } from './quantity.ts';

test('parseQuantity reads binary, decimal and exponent suffixes', () => {
  assert.equal(parseQuantity('128Mi'), 128 * 1024 * 1024);
  assert.equal(parseQuantity('1Gi'), 2 ** 30);
  assert.equal(parseQuantity('2Ki'), 2048);
  assert.equal(parseQuantity('1.5G'), 1.5e9);
  assert.equal(parseQuantity('500k'), 500_000);
  assert.equal(parseQuantity('3M'), 3e6);
  assert.equal(parseQuantity('250m'), 0.25);
  assert.equal(parseQuantity('1e3'), 1000);
  assert.equal(parseQuantity('2E2'), 200);
  assert.equal(parseQuantity('1E'), 1e18);
  assert.equal(parseQuantity('0.1k'), 100);
  assert.equal(parseQuantity('42'), 42);
  assert.equal(parseQuantity(64), 64);
});

test('parseQuantity rejects text that is not a quantity', () => {
  assert.throws(() => parseQuantity('lots'), QuantityError);
  assert.throws(() => parseQuantity('12Zi'), /unable to parse quantity's suffix: 12Zi/);
});

test('milliValue and wholeValue round up', () => {
  assert.equal(milliValue('250m'), 250);
  assert.equal(milliValue('0.1'), 100);
  assert.equal(milliValue('1.0005'), 1001);
  assert.equal(wholeValue('1.2'), 2);
  assert.equal(wholeValue('1Ki'), 1024);
});
