import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../k8s/errors.ts';
import { applyJsonPatch, jsonPatchRejected, parsePointer } from './json-patch.ts';

const doc = () => ({
  metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web' } },
  spec: { containers: [{ name: 'a', image: 'nginx:1' }], list: [1, 2, 3] },
});

const ok: { name: string; ops: unknown[]; want: (d: ReturnType<typeof doc>) => unknown }[] = [
  {
    name: 'add a key',
    ops: [{ op: 'add', path: '/metadata/labels/tier', value: 'fe' }],
    want: (d) => ({
      ...d,
      metadata: { ...d.metadata, labels: { ...d.metadata.labels, tier: 'fe' } },
    }),
  },
  {
    name: 'escaped pointer (~1 and ~0)',
    ops: [{ op: 'replace', path: '/metadata/labels/app.kubernetes.io~1name', value: 'x' }],
    want: (d) => ({ ...d, metadata: { ...d.metadata, labels: { 'app.kubernetes.io/name': 'x' } } }),
  },
  {
    name: 'append with -',
    ops: [{ op: 'add', path: '/spec/list/-', value: 4 }],
    want: (d) => ({ ...d, spec: { ...d.spec, list: [1, 2, 3, 4] } }),
  },
  {
    name: 'insert at index',
    ops: [{ op: 'add', path: '/spec/list/0', value: 0 }],
    want: (d) => ({ ...d, spec: { ...d.spec, list: [0, 1, 2, 3] } }),
  },
  {
    name: 'remove an item',
    ops: [{ op: 'remove', path: '/spec/list/1' }],
    want: (d) => ({ ...d, spec: { ...d.spec, list: [1, 3] } }),
  },
  {
    name: 'replace nested',
    ops: [{ op: 'replace', path: '/spec/containers/0/image', value: 'nginx:2' }],
    want: (d) => ({ ...d, spec: { ...d.spec, containers: [{ name: 'a', image: 'nginx:2' }] } }),
  },
  {
    name: 'move',
    ops: [{ op: 'move', from: '/spec/list', path: '/spec/moved' }],
    want: (d) => ({ ...d, spec: { containers: d.spec.containers, moved: [1, 2, 3] } }),
  },
  {
    name: 'copy',
    ops: [{ op: 'copy', from: '/metadata/name', path: '/metadata/labels/name' }],
    want: (d) => ({
      ...d,
      metadata: { ...d.metadata, labels: { ...d.metadata.labels, name: 'web' } },
    }),
  },
  {
    name: 'test then replace',
    ops: [
      { op: 'test', path: '/spec/list', value: [1, 2, 3] },
      { op: 'replace', path: '/spec/list', value: [] },
    ],
    want: (d) => ({ ...d, spec: { ...d.spec, list: [] } }),
  },
  {
    name: 'test null against a missing key',
    ops: [{ op: 'test', path: '/spec/nothing', value: null }],
    want: (d) => d,
  },
];

for (const c of ok) {
  test(`applyJsonPatch: ${c.name}`, () => {
    const original = doc();
    assert.deepEqual(applyJsonPatch(original, c.ops), c.want(doc()));
    assert.deepEqual(original, doc(), 'original is not mutated');
  });
}

const failing: { name: string; ops: unknown; code: number; detail?: RegExp }[] = [
  {
    name: 'failed test',
    ops: [{ op: 'test', path: '/metadata/name', value: 'other' }],
    code: 422,
    detail: /testing value \/metadata\/name failed/,
  },
  {
    name: 'replace a missing key',
    ops: [{ op: 'replace', path: '/spec/x', value: 1 }],
    code: 422,
    detail: /replace operation does not apply: doc is missing key: \/spec\/x/,
  },
  {
    name: 'remove a missing key',
    ops: [{ op: 'remove', path: '/spec/x' }],
    code: 422,
    detail: /unable to remove nonexistent key: x/,
  },
  {
    name: 'add under a missing parent',
    ops: [{ op: 'add', path: '/nope/x', value: 1 }],
    code: 422,
    detail: /add operation does not apply: doc is missing path: "\/nope\/x"/,
  },
  { name: 'index out of range', ops: [{ op: 'add', path: '/spec/list/9', value: 1 }], code: 422 },
  { name: 'unknown op', ops: [{ op: 'frobnicate', path: '/a' }], code: 400 },
  { name: 'add without value', ops: [{ op: 'add', path: '/a' }], code: 400 },
  { name: 'not a list', ops: { op: 'add' }, code: 400 },
];

for (const c of failing) {
  test(`applyJsonPatch rejects: ${c.name}`, () => {
    assert.throws(
      () => applyJsonPatch(doc(), c.ops),
      (err: unknown) => {
        assert.ok(err instanceof ApiError);
        assert.equal(err.code, c.code);
        if (c.code === 422) {
          assert.equal(err.reason, 'Invalid');
          assert.equal(err.message, jsonPatchRejected);
        }
        if (c.detail) assert.match((err.cause as Error).message, c.detail);
        return true;
      },
    );
  });
}

test('parsePointer unescapes tokens', () => {
  assert.deepEqual(parsePointer('/a~1b/c~0d/-'), ['a/b', 'c~d', '-']);
  assert.deepEqual(parsePointer(''), []);
  assert.equal(parsePointer('a'), undefined);
});
