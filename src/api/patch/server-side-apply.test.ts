import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../k8s/errors.ts';
import type { KubeObject } from '../../k8s/types/meta.ts';
import { updateManagedFields } from './managed-fields.ts';
import { applyServerSide, type ApplyOptions } from './server-side-apply.ts';

const t0 = Date.UTC(2026, 0, 1, 0, 0, 0, 500);
const later = t0 + 60_000;
const opts = (extra: Partial<ApplyOptions> = {}): ApplyOptions => ({
  manager: 'kubectl',
  force: false,
  apiVersion: 'v1',
  now: t0,
  ...extra,
});

/** The pod a user applies (`labels` and `image` overridable). */
function config(labels: Record<string, string> = { app: 'web' }, image = 'nginx:1'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', labels },
    spec: { containers: [{ name: 'nginx', image, ports: [{ containerPort: 80 }] }] },
  };
}

/** What the registry would store: identity fields added. */
function stored(obj: KubeObject): KubeObject {
  const out = structuredClone(obj);
  out.metadata.uid = 'u1';
  out.metadata.resourceVersion = '7';
  out.metadata.creationTimestamp = '2026-01-01T00:00:00Z';
  return out;
}

const kubectlApplySet = {
  'f:metadata': { 'f:labels': { 'f:app': {} } },
  'f:spec': {
    'f:containers': {
      'k:{"name":"nginx"}': {
        '.': {},
        'f:image': {},
        'f:name': {},
        'f:ports': {
          'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} },
        },
      },
    },
  },
};

test('apply creates a missing object and records an Apply entry', () => {
  const { object, managedFields } = applyServerSide(undefined, config(), opts());
  assert.deepEqual(managedFields, [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'v1',
      time: '2026-01-01T00:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: kubectlApplySet,
    },
  ]);
  assert.deepEqual(object, { ...config(), metadata: { ...config().metadata, managedFields } });
});

test('re-applying the same configuration changes nothing, not even the time', () => {
  const first = stored(applyServerSide(undefined, config(), opts()).object);
  const again = applyServerSide(first, config(), opts({ now: later }));
  assert.deepEqual(again.object, first);
});

test('the same manager may change its own fields; the time moves', () => {
  const first = stored(applyServerSide(undefined, config(), opts()).object);
  const next = applyServerSide(first, config({ app: 'web' }, 'nginx:2'), opts({ now: later }));
  const spec = next.object['spec'] as { containers: { image: string }[] };
  assert.equal(spec.containers[0]!.image, 'nginx:2');
  assert.equal(next.managedFields[0]!.time, '2026-01-01T00:01:00Z');
});

test('fields the manager applied before but omits now are removed', () => {
  const first = stored(
    applyServerSide(undefined, config({ app: 'web', tier: 'fe' }), opts()).object,
  );
  const withSidecar = structuredClone(config({ app: 'web', tier: 'fe' }));
  (withSidecar['spec'] as { containers: unknown[] }).containers.push({
    name: 'side',
    image: 'busybox',
  });
  const second = stored(applyServerSide(first, withSidecar, opts()).object);
  assert.equal((second['spec'] as { containers: unknown[] }).containers.length, 2);
  const third = applyServerSide(second, config(), opts({ now: later })).object;
  assert.deepEqual(third.metadata.labels, { app: 'web' });
  assert.deepEqual(
    (third['spec'] as { containers: { name: string }[] }).containers.map((c) => c.name),
    ['nginx'],
  );
  assert.deepEqual(third.metadata.managedFields![0]!.fieldsV1, kubectlApplySet);
});

test('an omitted field another manager also owns is kept', () => {
  const first = stored(
    applyServerSide(undefined, config({ app: 'web', tier: 'fe' }), opts()).object,
  );
  const shared = stored(
    applyServerSide(
      first,
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { tier: 'fe' } } },
      opts({ manager: 'other' }),
    ).object,
  );
  const labelled = structuredClone(shared);
  labelled.metadata.labels = { app: 'web', tier: 'fe', team: 'a' };
  labelled.metadata.managedFields = updateManagedFields(shared, labelled, {
    manager: 'kubectl-label',
    apiVersion: 'v1',
    now: t0,
  });
  const out = applyServerSide(labelled, config({}), opts({ now: later })).object;
  assert.deepEqual(out.metadata.labels, { tier: 'fe', team: 'a' });
});

/** A pod created by client-side apply (`kubectl apply` without --server-side). */
function createdByClientSideApply(): KubeObject {
  const obj = stored(config());
  obj.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': '{}' };
  obj.metadata.managedFields = updateManagedFields(undefined, obj, {
    manager: 'kubectl-client-side-apply',
    apiVersion: 'v1',
    now: t0,
  });
  return obj;
}

test('changing a field another manager owns is a 409 FieldManagerConflict', () => {
  assert.throws(
    () => applyServerSide(createdByClientSideApply(), config({ app: 'web' }, 'nginx:2'), opts()),
    (err: unknown) => {
      assert.ok(err instanceof ApiError);
      const status = err.toStatus();
      assert.equal(status.code, 409);
      assert.equal(status.reason, 'Conflict');
      assert.equal(
        status.message,
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .spec.containers[name="nginx"].image',
      );
      assert.deepEqual(status.details?.causes, [
        {
          reason: 'FieldManagerConflict',
          message: 'conflict with "kubectl-client-side-apply" using v1',
          field: '.spec.containers[name="nginx"].image',
        },
      ]);
      return true;
    },
  );
});

test('several conflicts are listed per manager', () => {
  assert.throws(
    () => applyServerSide(createdByClientSideApply(), config({ app: 'api' }, 'nginx:2'), opts()),
    (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(
        err.message,
        'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using v1:\n' +
          '- .metadata.labels.app\n' +
          '- .spec.containers[name="nginx"].image',
      );
      assert.equal(err.details?.causes?.length, 2);
      return true;
    },
  );
});

test('applying the value another manager already set shares ownership without conflict', () => {
  const out = applyServerSide(createdByClientSideApply(), config(), opts({ now: later }));
  assert.deepEqual(
    out.managedFields.map((e) => [e.manager, e.operation]),
    [
      ['kubectl', 'Apply'],
      ['kubectl-client-side-apply', 'Update'],
    ],
  );
  assert.deepEqual(
    out.managedFields[1]!.fieldsV1,
    createdByClientSideApply().metadata.managedFields![0]!.fieldsV1,
  );
});

test('force takes ownership of conflicting fields', () => {
  const out = applyServerSide(
    createdByClientSideApply(),
    config({ app: 'web' }, 'nginx:2'),
    opts({ force: true, now: later }),
  );
  const spec = out.object['spec'] as { containers: { image: string }[] };
  assert.equal(spec.containers[0]!.image, 'nginx:2');
  const csa = out.managedFields.find((e) => e.manager === 'kubectl-client-side-apply')!;
  const container = (
    csa.fieldsV1!['f:spec'] as Record<string, Record<string, Record<string, unknown>>>
  )['f:containers']!['k:{"name":"nginx"}']!;
  assert.equal(container['f:image'], undefined, 'the old owner lost the image');
  assert.deepEqual(container['f:name'], {}, 'and kept the rest');
  assert.equal(csa.time, '2026-01-01T00:00:00Z');
});

test('an object without managedFields is owned by before-first-apply', () => {
  const legacy = stored(config());
  assert.throws(
    () => applyServerSide(legacy, config({ app: 'web' }, 'nginx:3'), opts()),
    (err: unknown) =>
      err instanceof ApiError &&
      err.message ===
        'Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .spec.containers[name="nginx"].image',
  );
});

test('status is ignored when applying to the main resource', () => {
  const withStatus = { ...config(), status: { phase: 'Running' } };
  const { object, managedFields } = applyServerSide(undefined, withStatus, opts());
  assert.equal(object['status'], undefined);
  assert.equal(managedFields[0]!.fieldsV1!['f:status'], undefined);
});

test('apply to a Deployment tracks template containers by name and finalizers as a set', () => {
  const deploy: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', finalizers: ['a/b'] },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'd' } },
      template: {
        metadata: { labels: { app: 'd' } },
        spec: { containers: [{ name: 'c', image: 'x' }] },
      },
    },
  };
  const out = applyServerSide(undefined, deploy, opts({ apiVersion: 'apps/v1' }));
  assert.deepEqual(out.managedFields[0]!.fieldsV1, {
    'f:metadata': { 'f:finalizers': { 'v:"a/b"': {} } },
    'f:spec': {
      'f:replicas': {},
      'f:selector': {},
      'f:template': {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {} } },
        },
      },
    },
  });
});

test('applied keyed items merge into live items that another manager extended', () => {
  const live = createdByClientSideApply();
  (live['spec'] as { containers: Record<string, unknown>[] }).containers[0]!['imagePullPolicy'] =
    'Always';
  const out = applyServerSide(live, config(), opts()).object;
  assert.deepEqual((out['spec'] as { containers: unknown[] }).containers, [
    { name: 'nginx', image: 'nginx:1', ports: [{ containerPort: 80 }], imagePullPolicy: 'Always' },
  ]);
});

test('an applied configuration may not carry managedFields', () => {
  const bad = config();
  bad.metadata.managedFields = [];
  assert.throws(
    () => applyServerSide(undefined, bad, opts()),
    (err: unknown) => err instanceof ApiError && err.code === 400,
  );
});

test('pruning the last applied label drops the emptied map without a conflict', () => {
  const forced = stored(
    applyServerSide(createdByClientSideApply(), config({ app: 'x' }), opts({ force: true })).object,
  );
  const noLabels = config();
  delete noLabels.metadata.labels;
  const out = applyServerSide(forced, noLabels, opts({ now: later })).object;
  assert.equal(out.metadata.labels, undefined);
});

test('a keyed item kept for another owner keeps its key fields', () => {
  const first = stored(applyServerSide(undefined, config(), opts()).object);
  const edited = structuredClone(first);
  (edited['spec'] as { containers: Record<string, unknown>[] }).containers[0]!['image'] = 'edited';
  edited.metadata.managedFields = updateManagedFields(first, edited, {
    manager: 'kubectl-edit',
    apiVersion: 'v1',
    now: t0,
  });
  const noContainers: KubeObject = { ...config(), spec: {} };
  const out = applyServerSide(edited, noContainers, opts({ now: later })).object;
  assert.deepEqual((out['spec'] as { containers: unknown[] }).containers, [
    { name: 'nginx', image: 'edited' },
  ]);
});

test('a resourceVersion in the applied configuration is kept as a precondition', () => {
  const live = stored(config());
  const withVersion = config();
  withVersion.metadata.resourceVersion = '3';
  const out = applyServerSide(live, withVersion, opts({ force: true })).object;
  assert.equal(out.metadata.resourceVersion, '3');
});
