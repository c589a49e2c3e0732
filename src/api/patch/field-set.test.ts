import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, keyElement, pathString } from './field-set.ts';

test('FieldSet round-trips fieldsV1 and orders elements as upstream', () => {
  const v1 = {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': { 'f:containers': { 'k:{"name":"a"}': { '.': {}, 'f:image': {} } } },
  };
  const set = FieldSet.fromFieldsV1(v1);
  assert.ok(set.has(['f:metadata', 'f:labels']));
  assert.ok(set.has(['f:metadata', 'f:labels', 'f:app']));
  assert.ok(!set.has(['f:metadata']));
  assert.deepEqual(set.toFieldsV1(), v1);
  assert.deepEqual(
    Object.keys(FieldSet.fromFieldsV1({ 'k:{"a":1}': {}, 'f:z': {}, '.': {} }).toFieldsV1()),
    ['.', 'f:z', 'k:{"a":1}'],
  );
});

test('FieldSet set algebra', () => {
  const a = new FieldSet();
  a.insert(['f:a']);
  a.insert(['f:b', 'f:c']);
  const b = new FieldSet();
  b.insert(['f:b', 'f:c']);
  assert.deepEqual(a.difference(b).paths(), [['f:a']]);
  assert.deepEqual(a.intersection(b).paths(), [['f:b', 'f:c']]);
  assert.ok(a.union(b).equals(a));
  assert.ok(a.hasPrefix(['f:b']));
  a.remove(['f:b', 'f:c']);
  assert.ok(!a.hasPrefix(['f:b']));
});

test('pathString formats paths as conflict messages do', () => {
  assert.equal(
    pathString(['f:spec', keyElement({ name: 'nginx' }), 'f:image']),
    '.spec[name="nginx"].image',
  );
  assert.equal(
    pathString(['f:spec', 'f:ports', keyElement({ protocol: 'TCP', port: 80 })]),
    '.spec.ports[port=80,protocol="TCP"]',
  );
  assert.equal(pathString(['f:metadata', 'f:finalizers', 'v:"x"']), '.metadata.finalizers[="x"]');
});
