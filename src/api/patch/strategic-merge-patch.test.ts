import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../k8s/errors.ts';
import { applyStrategicMergePatch } from './strategic-merge-patch.ts';

const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

test('strategic merge patch: the body kubectl client-side apply sends', () => {
  const live = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      labels: { app: 'web', tier: 'fe' },
      annotations: { [lastApplied]: '{"old":true}', other: 'keep' },
    },
    spec: {
      containers: [
        {
          name: 'a',
          image: 'nginx:1',
          env: [
            { name: 'X', value: '1' },
            { name: 'Y', value: '2' },
          ],
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          terminationMessagePath: '/dev/termination-log',
        },
        { name: 'b', image: 'busybox' },
      ],
      restartPolicy: 'Always',
    },
  };
  const patch = JSON.parse(
    '{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\\"new\\":true}"},"labels":{"tier":null}},"spec":{"$setElementOrder/containers":[{"name":"a"}],"containers":[{"$setElementOrder/env":[{"name":"X"}],"args":["--foo"],"env":[{"$patch":"delete","name":"Y"}],"image":"nginx:2","name":"a","ports":[{"containerPort":80}]},{"$patch":"delete","name":"b"}]}}',
  ) as unknown;
  assert.deepEqual(applyStrategicMergePatch(live, patch, 'Pod'), {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      labels: { app: 'web' },
      annotations: { [lastApplied]: '{"new":true}', other: 'keep' },
    },
    spec: {
      containers: [
        {
          name: 'a',
          image: 'nginx:2',
          args: ['--foo'],
          env: [{ name: 'X', value: '1' }],
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          terminationMessagePath: '/dev/termination-log',
        },
      ],
      restartPolicy: 'Always',
    },
  });
  assert.equal(live.spec.containers.length, 2, 'original is not mutated');
});

const pod = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({
  metadata: { name: 'p', ...metadata },
  spec,
});

const cases: { name: string; kind?: string; original: unknown; patch: unknown; want: unknown }[] = [
  {
    name: 'containers merge by name; new items go first, as upstream orders them',
    original: pod({ containers: [{ name: 'a', image: 'x' }] }),
    patch: { spec: { containers: [{ name: 'b', image: 'y' }] } },
    want: pod({
      containers: [
        { name: 'b', image: 'y' },
        { name: 'a', image: 'x' },
      ],
    }),
  },
  {
    name: 'kubectl set image',
    original: pod({ containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80 }] }] }),
    patch: { spec: { containers: [{ name: 'a', image: 'z' }] } },
    want: pod({ containers: [{ name: 'a', image: 'z', ports: [{ containerPort: 80 }] }] }),
  },
  {
    name: 'lists without a merge key are replaced',
    original: pod({ containers: [{ name: 'a', args: ['1', '2'] }], tolerations: [{ key: 'a' }] }),
    patch: { spec: { containers: [{ name: 'a', args: ['3'] }], tolerations: [{ key: 'b' }] } },
    want: pod({ containers: [{ name: 'a', args: ['3'] }], tolerations: [{ key: 'b' }] }),
  },
  {
    name: 'volumeMounts merge by mountPath',
    original: pod({ containers: [{ name: 'a', volumeMounts: [{ mountPath: '/a', name: 'v1' }] }] }),
    patch: {
      spec: { containers: [{ name: 'a', volumeMounts: [{ mountPath: '/b', name: 'v2' }] }] },
    },
    want: pod({
      containers: [
        {
          name: 'a',
          volumeMounts: [
            { mountPath: '/b', name: 'v2' },
            { mountPath: '/a', name: 'v1' },
          ],
        },
      ],
    }),
  },
  {
    name: '$patch: replace on a list',
    original: pod({ containers: [{ name: 'a' }, { name: 'b' }] }),
    patch: { spec: { containers: [{ $patch: 'replace' }, { name: 'c' }] } },
    want: pod({ containers: [{ name: 'c' }] }),
  },
  {
    name: '$patch: replace on a map',
    original: pod({ containers: [], securityContext: { runAsUser: 1, fsGroup: 2 } }),
    patch: { spec: { securityContext: { $patch: 'replace', runAsUser: 3 } } },
    want: pod({ containers: [], securityContext: { runAsUser: 3 } }),
  },
  {
    name: '$patch: delete on a map empties it',
    original: pod({ containers: [], securityContext: { runAsUser: 1 } }),
    patch: { spec: { securityContext: { $patch: 'delete' } } },
    want: pod({ containers: [], securityContext: {} }),
  },
  {
    name: '$retainKeys drops the other volume source',
    original: pod({ volumes: [{ name: 'v', emptyDir: {} }] }),
    patch: {
      spec: {
        volumes: [{ name: 'v', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/x' } }],
      },
    },
    want: pod({ volumes: [{ name: 'v', hostPath: { path: '/x' } }] }),
  },
  {
    name: '$deleteFromPrimitiveList and merged finalizers',
    original: pod({}, { finalizers: ['a', 'b'] }),
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'], finalizers: ['c', 'b'] } },
    want: pod({}, { finalizers: ['c', 'b'] }),
  },
  {
    name: '$setElementOrder keeps server-only items in place',
    original: pod({ containers: [{ name: 'a' }, { name: 'injected' }, { name: 'b' }] }),
    patch: {
      spec: {
        '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }, { name: 'c' }],
        containers: [{ name: 'c', image: 'new' }],
      },
    },
    want: pod({
      containers: [{ name: 'injected' }, { name: 'b' }, { name: 'a' }, { name: 'c', image: 'new' }],
    }),
  },
  {
    name: 'ownerReferences merge by uid and conditions by type',
    original: {
      metadata: { name: 'p', ownerReferences: [{ uid: '1', name: 'a' }] },
      status: { conditions: [{ type: 'Ready', status: 'False' }] },
    },
    patch: {
      metadata: { ownerReferences: [{ uid: '2', name: 'b' }] },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    },
    want: {
      metadata: {
        name: 'p',
        ownerReferences: [
          { uid: '2', name: 'b' },
          { uid: '1', name: 'a' },
        ],
      },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    },
  },
  {
    name: 'service ports merge by port',
    kind: 'Service',
    original: { metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 8080 }] } },
    patch: { spec: { ports: [{ port: 80, name: 'http' }, { port: 443 }] } },
    want: {
      metadata: { name: 's' },
      spec: { ports: [{ port: 80, targetPort: 8080, name: 'http' }, { port: 443 }] },
    },
  },
  {
    name: 'kubectl rollout restart on a deployment template',
    kind: 'Deployment',
    original: {
      metadata: { name: 'd' },
      spec: {
        template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'a' }] } },
      },
    },
    patch: {
      spec: {
        template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 't' } } },
      },
    },
    want: {
      metadata: { name: 'd' },
      spec: {
        template: {
          metadata: {
            labels: { app: 'd' },
            annotations: { 'kubectl.kubernetes.io/restartedAt': 't' },
          },
          spec: { containers: [{ name: 'a' }] },
        },
      },
    },
  },
  {
    name: 'deployment strategy honours $retainKeys',
    kind: 'Deployment',
    original: { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
    patch: { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } } },
    want: { spec: { strategy: { type: 'Recreate' } } },
  },
  {
    name: 'unknown kinds fall back to JSON merge patch',
    kind: 'Widget',
    original: { spec: { items: [{ name: 'a' }] } },
    patch: { spec: { items: [{ name: 'b' }] } },
    want: { spec: { items: [{ name: 'b' }] } },
  },
  {
    name: 'env item added inside an existing container',
    original: pod({ containers: [{ name: 'a', env: [{ name: 'X', value: '1' }] }] }),
    patch: { spec: { containers: [{ name: 'a', env: [{ name: 'Y', value: '2' }] }] } },
    want: pod({
      containers: [
        {
          name: 'a',
          env: [
            { name: 'Y', value: '2' },
            { name: 'X', value: '1' },
          ],
        },
      ],
    }),
  },
  {
    name: 'kubectl apply adding an env var keeps $setElementOrder order',
    original: pod({ containers: [{ name: 'a', env: [{ name: 'X', value: '1' }] }] }),
    patch: {
      spec: {
        '$setElementOrder/containers': [{ name: 'a' }],
        containers: [
          {
            name: 'a',
            '$setElementOrder/env': [{ name: 'X' }, { name: 'Y' }],
            env: [{ name: 'Y', value: '2' }],
          },
        ],
      },
    },
    want: pod({
      containers: [
        {
          name: 'a',
          env: [
            { name: 'X', value: '1' },
            { name: 'Y', value: '2' },
          ],
        },
      ],
    }),
  },
];

for (const c of cases) {
  test(`strategic merge patch: ${c.name}`, () => {
    assert.deepEqual(applyStrategicMergePatch(c.original, c.patch, c.kind ?? 'Pod'), c.want);
  });
}

const bad: { name: string; patch: unknown }[] = [
  { name: 'missing merge key', patch: { spec: { containers: [{ image: 'x' }] } } },
  { name: 'unknown $patch', patch: { spec: { $patch: 'explode' } } },
  { name: 'not an object', patch: [1] },
  {
    name: '$patch: merge in a list',
    patch: { spec: { containers: [{ name: 'a', $patch: 'merge' }] } },
  },
  { name: 'key outside $retainKeys', patch: { spec: { $retainKeys: ['a'], b: 1 } } },
];

test('a missing merge key is reported as upstream words it', () => {
  assert.throws(
    () =>
      applyStrategicMergePatch(
        pod({ containers: [] }),
        { spec: { containers: [{ image: 'x' }] } },
        'Pod',
      ),
    { message: 'map: map[image:x] does not contain declared merge key: name' },
  );
});

for (const c of bad) {
  test(`strategic merge patch rejects: ${c.name}`, () => {
    assert.throws(
      () => applyStrategicMergePatch(pod({ containers: [] }), c.patch, 'Pod'),
      (err: unknown) => err instanceof ApiError && err.code === 400,
    );
  });
}
