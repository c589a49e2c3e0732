import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError } from '../errors.ts';
import { escapeFieldValue, parseFieldSelector, unescapeFieldValue } from './field-selector.ts';

const fields = {
  'metadata.name': 'web',
  'metadata.namespace': 'default',
  'status.phase': 'Running',
  odd: 'a,b=c\\d',
};

test('parses and matches field selectors', () => {
  const cases: [string, boolean][] = [
    ['', true],
    ['metadata.name=web', true],
    ['metadata.name==web', true],
    ['metadata.name!=web', false],
    ['metadata.name=db', false],
    ['metadata.name=web,status.phase=Running', true],
    ['metadata.name=web,status.phase!=Running', false],
    ['spec.nodeName=', true],
    ['spec.nodeName!=', false],
    ['spec.nodeName!=node1', true],
    ['odd=a\\,b\\=c\\\\d', true],
    ['metadata.name=web,', true],
    [',metadata.name=web', true],
  ];
  for (const [sel, want] of cases) assert.equal(parseFieldSelector(sel).matches(fields), want, sel);
});

test('exposes requirements with unescaped values, sorted by term text', () => {
  const s = parseFieldSelector('status.phase!=Running,metadata.name==a\\,b');
  assert.deepEqual(
    s.requirements.map((r) => [r.field, r.operator, r.value]),
    [
      ['metadata.name', '==', 'a,b'],
      ['status.phase', '!=', 'Running'],
    ],
  );
  assert.equal(s.toString(), 'metadata.name=a\\,b,status.phase!=Running');
  assert.equal(parseFieldSelector('').empty, true);
});

test('splits at the first operator', () => {
  const [r] = parseFieldSelector('a!=b').requirements;
  assert.deepEqual(r, { field: 'a', operator: '!=', value: 'b' });
  const [r2] = parseFieldSelector('a==b').requirements;
  assert.deepEqual(r2, { field: 'a', operator: '==', value: 'b' });
  const [r3] = parseFieldSelector('a=\\=b').requirements;
  assert.deepEqual(r3, { field: 'a', operator: '=', value: '=b' });
});

test('rejects invalid field selectors with upstream messages', () => {
  const cases: [string, string][] = [
    ['metadata.name', "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
    ['a=b,c', "invalid selector: 'a=b,c'; can't understand 'c'"],
    ['a=b=c', 'invalid field selector: unescaped character in value: 61'],
    ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['a=b\\', 'invalid field selector: invalid escape sequence: \\'],
  ];
  for (const [sel, want] of cases) {
    assert.throws(
      () => parseFieldSelector(sel),
      (err: unknown) => err instanceof BadRequestError && err.message === want,
      sel,
    );
  }
});

test('escape and unescape round-trip', () => {
  for (const v of ['', 'plain', 'a,b', 'x=y', 'back\\slash', '\\,=']) {
    assert.equal(unescapeFieldValue(escapeFieldValue(v)), v);
  }
  assert.equal(escapeFieldValue('a,b=c\\'), 'a\\,b\\=c\\\\');
});
