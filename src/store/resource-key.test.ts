import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupResourceOf, namespaceKeyRange, objectKey } from './resource-key.ts';

test('resource keys map to GroupResources', () => {
  assert.deepEqual(groupResourceOf('pods'), { group: '', resource: 'pods' });
  assert.deepEqual(groupResourceOf('deployments.apps'), { group: 'apps', resource: 'deployments' });
  assert.deepEqual(groupResourceOf('ingresses.networking.k8s.io'), {
    group: 'networking.k8s.io',
    resource: 'ingresses',
  });
});

test('object keys sort as etcd keys and namespace ranges hold exactly one namespace', () => {
  assert.equal(objectKey('', 'node1'), 'node1');
  assert.equal(objectKey('default', 'web'), 'default/web');
  const r = namespaceKeyRange('a');
  const inside = (k: string): boolean => k > r.after && k < r.before;
  assert.equal(inside(objectKey('a', 'x')), true);
  assert.equal(inside(objectKey('a-b', 'x')), false);
  assert.equal(inside(objectKey('a.b', 'x')), false);
  assert.equal(inside(objectKey('ab', 'x')), false);
});
