import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError } from '../errors.ts';
import {
  labelSelectorFromObject,
  labelSelectorObjectString,
  parseLabelSelector,
} from './label-selector.ts';

const labels = { app: 'web', tier: 'front', gen: '5', empty: '' };

test('parses and matches valid selectors', () => {
  const cases: [string, boolean][] = [
    ['', true],
    ['   ', true],
    ['app=web', true],
    ['app==web', true],
    ['app = web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (web,db)', true],
    ['app in(db)', false],
    ['app notin (db)', true],
    ['app notin (web)', false],
    ['missing notin (x)', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['app=web,tier=front', true],
    ['app=web , tier=back', false],
    ['app=web,!canary,tier in (front)', true],
    ['empty=', true],
    ['empty in ()', true],
    ['empty in (,x)', true],
    ['app in (in,notin)', false],
    ['gen>3', true],
    ['gen<3', false],
    ['app>3', false],
    ['missing<9', false],
    ['example.com/app', false],
    ['\tapp\n=\rweb', true],
  ];
  for (const [sel, want] of cases) {
    assert.equal(parseLabelSelector(sel).matches(labels), want, sel);
  }
});

test('canonical string sorts requirements by key and values', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['b=1,a=2', 'a=2,b=1'],
    ['x in (c,a,b,a)', 'x in (a,b,c)'],
    ['x notin ( z , y )', 'x notin (y,z)'],
    ['!a, b', '!a,b'],
    ['a==b', 'a==b'],
    ['a != b', 'a!=b'],
    ['a>1,b<2', 'a>1,b<2'],
    ['in in (in)', 'in in (in)'],
    ['a in ()', 'a in ()'],
    ['a in (,b)', 'a in (,b)'],
    ['x in (foo,,baz),y,z notin ()', 'x in (,baz,foo),y,z notin ()'],
    ['a in (,)', 'a in ()'],
    ['in=a,notin', 'in=a,notin'],
    ['!in', '!in'],
  ];
  for (const [sel, want] of cases) assert.equal(parseLabelSelector(sel).toString(), want, sel);
});

test('exposes requirements', () => {
  const s = parseLabelSelector('tier in (b,a),app=web,!x');
  assert.deepEqual(
    s.requirements.map((r) => [r.key, r.operator, [...r.values]]),
    [
      ['app', '=', ['web']],
      ['tier', 'in', ['a', 'b']],
      ['x', '!', []],
    ],
  );
  assert.equal(s.empty, false);
  assert.equal(parseLabelSelector('').empty, true);
});

test('rejects invalid selectors with upstream messages', () => {
  const cases: [string, string | RegExp][] = [
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['a,', "found '', expected: identifier after ','"],
    ['a,,b', "found ',', expected: identifier after ','"],
    ['a in b', "unable to parse requirement: found 'b' expected: '('"],
    ['a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a in (b c)', "unable to parse requirement: found 'c', expected: ',' or ')'"],
    ['a in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ['a = (', "unable to parse requirement: found '(', expected: identifier"],
    ['a x', "unable to parse requirement: found 'x', expected: in, notin, =, ==, !=, gt, lt"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['!', "unable to parse requirement: found '', expected: identifier"],
    ['a = b = c', "found '=', expected: ',' or 'end of string'"],
    [
      'a>x',
      /^unable to parse requirement: values\[0\]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer$/,
    ],
    [
      '-a=b',
      /^unable to parse requirement: <nil>: Invalid value: "-a": name part must consist of alphanumeric/,
    ],
    [
      'a/b/c',
      /^unable to parse requirement: <nil>: Invalid value: "a\/b\/c": a valid label key must consist/,
    ],
    [
      'Foo.com/a',
      /^unable to parse requirement: <nil>: Invalid value: "Foo.com\/a": prefix part a lowercase RFC 1123 subdomain/,
    ],
    ['/a', /prefix part must be non-empty/],
    ['a/', /name part must be non-empty/],
    ['k'.repeat(64), /name part must be no more than 63 bytes/],
    [
      `a=${'v'.repeat(64)}`,
      /^unable to parse requirement: values\[0\]\[a\]: Invalid value: "v{64}": must be no more than 63 bytes$/,
    ],
    [
      'a=-b',
      /values\[0\]\[a\]: Invalid value: "-b": a valid label must be an empty string or consist of/,
    ],
    [
      'a in (-x,_y)',
      /^unable to parse requirement: \[values\[0\]\[a\]: .*, values\[1\]\[a\]: .*\]$/,
    ],
  ];
  for (const [sel, want] of cases) {
    assert.throws(
      () => parseLabelSelector(sel),
      (err: unknown) => {
        assert.ok(err instanceof BadRequestError, sel);
        assert.equal(err.code, 400);
        if (typeof want === 'string') assert.equal(err.message, want, sel);
        else assert.match(err.message, want, sel);
        return true;
      },
    );
  }
});

test('a prefixed key within limits is valid', () => {
  const key = `${'a'.repeat(50)}.example.com/${'n'.repeat(63)}`;
  assert.equal(parseLabelSelector(`${key}=v`).matches({ [key]: 'v' }), true);
});

test('LabelSelector objects convert to matchers and strings', () => {
  const sel = {
    matchLabels: { tier: 'front', app: 'web' },
    matchExpressions: [
      { key: 'env', operator: 'In' as const, values: ['prod', 'dev'] },
      { key: 'canary', operator: 'DoesNotExist' as const },
      { key: 'zone', operator: 'NotIn' as const, values: ['b'] },
      { key: 'gen', operator: 'Exists' as const },
    ],
  };
  const m = labelSelectorFromObject(sel);
  assert.equal(m.matches({ app: 'web', tier: 'front', env: 'dev', gen: '1' }), true);
  assert.equal(m.matches({ app: 'web', tier: 'front', env: 'dev', gen: '1', canary: '' }), false);
  assert.equal(m.matches({ app: 'web', tier: 'front', env: 'qa', gen: '1' }), false);
  assert.equal(m.matches({ app: 'web', tier: 'front', env: 'dev', gen: '1', zone: 'b' }), false);
  assert.equal(
    labelSelectorObjectString(sel),
    'app=web,canary!,env in (dev,prod),gen,tier=front,zone notin (b)'.replace('canary!', '!canary'),
  );
  assert.equal(labelSelectorFromObject({}).matches({ any: 'x' }), true);
  assert.equal(labelSelectorFromObject({}).empty, true);
  assert.equal(labelSelectorFromObject(undefined).matches({}), false);
});

test('invalid LabelSelector objects throw BadRequestError', () => {
  const cases: [Parameters<typeof labelSelectorFromObject>[0], RegExp][] = [
    [{ matchLabels: { 'bad key': 'x' } }, /^key: Invalid value: "bad key": name part must consist/],
    [{ matchLabels: { a: 'bad value' } }, /^values\[0\]\[a\]: Invalid value: "bad value"/],
    [
      { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] },
      /^values: Invalid value: \[\]: for 'in', 'notin' operators, values set can't be empty$/,
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      /values set must be empty for exists and does not exist/,
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'Gt' as 'In', values: ['1'] }] },
      /^"Gt" is not a valid label selector operator$/,
    ],
  ];
  for (const [sel, want] of cases) {
    assert.throws(
      () => labelSelectorFromObject(sel),
      (err: unknown) => err instanceof BadRequestError && want.test(err.message),
    );
  }
});
