import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../k8s/types/meta.ts';
import { rfc3339Seconds, updateManagedFields } from './managed-fields.ts';

const t0 = Date.UTC(2026, 0, 1, 0, 0, 0, 900);
const t1 = t0 + 30_000;

function pod(image = 'nginx:1', labels: Record<string, string> = { app: 'web' }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'u', resourceVersion: '1', labels },
    spec: {
      containers: [{ name: 'nginx', image, ports: [{ containerPort: 80, protocol: 'TCP' }] }],
      restartPolicy: 'Always',
    },
    status: { phase: 'Pending' },
  };
}

const created = {
  'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
  'f:spec': {
    'f:containers': {
      'k:{"name":"nginx"}': {
        '.': {},
        'f:image': {},
        'f:name': {},
        'f:ports': {
          '.': {},
          'k:{"containerPort":80,"protocol":"TCP"}': {
            '.': {},
            'f:containerPort': {},
            'f:protocol': {},
          },
        },
      },
    },
    'f:restartPolicy': {},
  },
};

test('rfc3339Seconds drops the fraction', () => {
  assert.equal(rfc3339Seconds(t0), '2026-01-01T00:00:00Z');
});

test('a create gives the writer every field it set, except server-owned metadata and status', () => {
  assert.deepEqual(
    updateManagedFields(undefined, pod(), { manager: 'kubectl-create', apiVersion: 'v1', now: t0 }),
    [
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time: '2026-01-01T00:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: created,
      },
    ],
  );
});

function withFields(obj: KubeObject, manager: string, now = t0): KubeObject {
  obj.metadata.managedFields = updateManagedFields(undefined, obj, {
    manager,
    apiVersion: 'v1',
    now,
  });
  return obj;
}

const cases: {
  name: string;
  after: KubeObject;
  manager: string;
  subresource?: string;
  want: { manager: string; time: string; fieldsV1: unknown; subresource?: string }[];
}[] = [
  {
    name: 'a no-op update records nothing and keeps the time',
    after: pod(),
    manager: 'kubectl-edit',
    want: [
      { manager: 'kubectl-client-side-apply', time: '2026-01-01T00:00:00Z', fieldsV1: created },
    ],
  },
  {
    name: 'a changed field moves to the writer',
    after: pod('nginx:2'),
    manager: 'kubectl-edit',
    want: [
      {
        manager: 'kubectl-client-side-apply',
        time: '2026-01-01T00:00:00Z',
        fieldsV1: {
          ...created,
          'f:spec': {
            ...created['f:spec'],
            'f:containers': {
              'k:{"name":"nginx"}': {
                ...created['f:spec']['f:containers']['k:{"name":"nginx"}'],
                'f:image': undefined,
              },
            },
          },
        },
      },
      {
        manager: 'kubectl-edit',
        time: '2026-01-01T00:00:30Z',
        fieldsV1: { 'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { 'f:image': {} } } } },
      },
    ],
  },
  {
    name: 'a removed field leaves every set; an added label belongs to the writer',
    after: pod('nginx:1', { team: 'a' }),
    manager: 'kubectl-label',
    want: [
      {
        manager: 'kubectl-client-side-apply',
        time: '2026-01-01T00:00:00Z',
        fieldsV1: { ...created, 'f:metadata': { 'f:labels': {} } },
      },
      {
        manager: 'kubectl-label',
        time: '2026-01-01T00:00:30Z',
        fieldsV1: { 'f:metadata': { 'f:labels': { 'f:team': {} } } },
      },
    ],
  },
  {
    name: 'status writes are tracked under the status subresource',
    after: { ...pod(), status: { phase: 'Running' } },
    manager: 'kubelet',
    subresource: 'status',
    want: [
      { manager: 'kubectl-client-side-apply', time: '2026-01-01T00:00:00Z', fieldsV1: created },
      {
        manager: 'kubelet',
        time: '2026-01-01T00:00:30Z',
        fieldsV1: { 'f:status': { 'f:phase': {} } },
        subresource: 'status',
      },
    ],
  },
];

for (const c of cases) {
  test(`updateManagedFields: ${c.name}`, () => {
    const before = withFields(pod(), 'kubectl-client-side-apply');
    const got = updateManagedFields(before, c.after, {
      manager: c.manager,
      apiVersion: 'v1',
      now: t1,
      ...(c.subresource ? { subresource: c.subresource } : {}),
    });
    const want = c.want.map((w) => ({
      manager: w.manager,
      operation: 'Update',
      apiVersion: 'v1',
      time: w.time,
      fieldsType: 'FieldsV1',
      fieldsV1: JSON.parse(JSON.stringify(w.fieldsV1)) as unknown,
      ...(w.subresource ? { subresource: w.subresource } : {}),
    }));
    assert.deepEqual(got, want);
  });
}

test('managedFields the writer sends replace the stored ones (client-side-apply migration)', () => {
  const before = withFields(pod(), 'kubectl-client-side-apply');
  const migrated = structuredClone(before);
  migrated.metadata.managedFields = [
    { ...before.metadata.managedFields![0]!, manager: 'kubectl', operation: 'Apply' },
  ];
  const got = updateManagedFields(before, migrated, {
    manager: 'kubectl',
    apiVersion: 'v1',
    now: t1,
  });
  assert.deepEqual(
    got.map((e) => [e.manager, e.operation, e.time]),
    [['kubectl', 'Apply', '2026-01-01T00:00:00Z']],
  );
});
