import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../k8s/errors.ts';
import type { KubeObject } from '../../k8s/types/meta.ts';
import { managedFieldsUpdater, parseApplyPatch, patchOps } from './patch-ops.ts';

const now = Date.UTC(2026, 0, 1);
const live: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', namespace: 'default', resourceVersion: '3' },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: 'x' }] } } },
};

test('patchOps.merge applies merge patches and rejects non-object patches', () => {
  assert.deepEqual((patchOps.merge(live, { spec: { replicas: 3 } }) as KubeObject)['spec'], {
    replicas: 3,
    template: { spec: { containers: [{ name: 'a', image: 'x' }] } },
  });
  assert.throws(
    () => patchOps.merge(live, [1]),
    (err: unknown) => err instanceof ApiError && err.code === 400,
  );
});

test('patchOps.strategic uses the kind from the request (kubectl set image)', () => {
  const out = patchOps.strategic(
    live,
    { spec: { template: { spec: { containers: [{ name: 'a', image: 'y' }] } } } },
    { group: 'apps', version: 'v1', kind: 'Deployment' },
  ) as KubeObject;
  assert.deepEqual(out['spec'], {
    replicas: 1,
    template: { spec: { containers: [{ name: 'a', image: 'y' }] } },
  });
});

test('patchOps.json applies JSON patches', () => {
  const out = patchOps.json(live, [
    { op: 'replace', path: '/spec/replicas', value: 5 },
  ]) as KubeObject;
  assert.equal((out['spec'] as { replicas: number }).replicas, 5);
});

test('patchOps.apply returns the object with its managedFields (forced over before-first-apply)', () => {
  const applied = parseApplyPatch(
    '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":2}}',
  );
  const out = patchOps.apply(live, applied, {
    manager: 'kubectl',
    force: true,
    apiVersion: 'apps/v1',
    now,
  });
  assert.equal((out['spec'] as { replicas: number }).replicas, 2);
  assert.deepEqual(
    out.metadata.managedFields?.map((e) => [e.manager, e.operation]),
    [
      ['kubectl', 'Apply'],
      ['before-first-apply', 'Update'],
    ],
  );
});

test('parseApplyPatch reads YAML as well as JSON', () => {
  assert.deepEqual(
    parseApplyPatch('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n'),
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { k: 'v' },
    },
  );
  assert.throws(
    () => parseApplyPatch('- a\n- b\n'),
    (err: unknown) => err instanceof ApiError && err.code === 400,
  );
});

test('managedFieldsUpdater records an Update entry on create', () => {
  const mf = managedFieldsUpdater(undefined, live, {
    manager: 'kubectl-create',
    apiVersion: 'apps/v1',
    now,
  });
  assert.deepEqual(
    mf?.map((e) => [e.manager, e.operation, e.apiVersion]),
    [['kubectl-create', 'Update', 'apps/v1']],
  );
});
