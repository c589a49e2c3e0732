import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMergePatch } from './json-merge-patch.ts';

const cases: { name: string; original: unknown; patch: unknown; want: unknown }[] = [
  { name: 'replaces a value', original: { a: 'b' }, patch: { a: 'c' }, want: { a: 'c' } },
  { name: 'adds a key', original: { a: 'b' }, patch: { b: 'c' }, want: { a: 'b', b: 'c' } },
  {
    name: 'null deletes a key',
    original: { a: 'b', b: 'c' },
    patch: { a: null },
    want: { b: 'c' },
  },
  { name: 'arrays are replaced', original: { a: [1, 2] }, patch: { a: [3] }, want: { a: [3] } },
  {
    name: 'nested objects merge',
    original: { metadata: { labels: { app: 'web', tier: 'fe' } } },
    patch: { metadata: { labels: { tier: null, env: 'prod' } } },
    want: { metadata: { labels: { app: 'web', env: 'prod' } } },
  },
  { name: 'non-object patch replaces', original: { a: 1 }, patch: ['x'], want: ['x'] },
  {
    name: 'object replaces scalar',
    original: { a: 'x' },
    patch: { a: { b: null, c: 1 } },
    want: { a: { c: 1 } },
  },
  {
    name: 'patch onto nothing',
    original: undefined,
    patch: { a: { b: 1 } },
    want: { a: { b: 1 } },
  },
  {
    name: 'scale body',
    original: { spec: { replicas: 1, x: 2 } },
    patch: { spec: { replicas: 3 } },
    want: { spec: { replicas: 3, x: 2 } },
  },
];

for (const c of cases) {
  test(`applyMergePatch: ${c.name}`, () => {
    const before = JSON.stringify(c.original);
    assert.deepEqual(applyMergePatch(c.original, c.patch), c.want);
    assert.equal(JSON.stringify(c.original), before, 'original is not mutated');
  });
}

test('applyMergePatch: the result shares nothing with the original', () => {
  const original = { metadata: { name: 'a' }, spec: { x: 1 } };
  const out = applyMergePatch(original, { spec: { y: 2 } }) as typeof original;
  out.metadata.name = 'changed';
  assert.equal(original.metadata.name, 'a');
});
