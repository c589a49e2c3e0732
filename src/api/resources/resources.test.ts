import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiFixture } from '../testing/api-fixture.ts';
import { resourceDefs } from './index.ts';
import { defaultPullPolicy } from './pod-defaults.ts';
import { qosClass } from './pods.ts';

const fixture = () => apiFixture(resourceDefs);

test('defaultPullPolicy(): Always for :latest or untagged, IfNotPresent for tags and digests', () => {
  assert.deepEqual(
    [
      'busybox',
      'busybox:latest',
      'nginx:1.27',
      'registry:5000/app',
      'registry:5000/app:v1',
      'app@sha256:abc',
    ].map(defaultPullPolicy),
    ['Always', 'Always', 'IfNotPresent', 'Always', 'IfNotPresent', 'IfNotPresent'],
  );
});

test('qosClass(): BestEffort, Burstable, Guaranteed', () => {
  assert.equal(qosClass({ containers: [{ name: 'a' }] }), 'BestEffort');
  assert.equal(
    qosClass({ containers: [{ name: 'a', resources: { requests: { cpu: '100m' } } }] }),
    'Burstable',
  );
  assert.equal(
    qosClass({
      containers: [
        {
          name: 'a',
          resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } },
        },
      ],
    }),
    'Guaranteed',
  );
});

test('pods get kube-apiserver defaults and admission additions', async () => {
  const f = await fixture();
  const r = await f.call('POST', '/api/v1/namespaces/default/pods', {
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'a', image: 'busybox', ports: [{ containerPort: 80 }] }] },
  });
  assert.equal(r.status, 201);
  const spec = r.json.spec;
  assert.deepEqual(
    [
      spec.restartPolicy,
      spec.dnsPolicy,
      spec.terminationGracePeriodSeconds,
      spec.schedulerName,
      spec.serviceAccountName,
      spec.enableServiceLinks,
    ],
    ['Always', 'ClusterFirst', 30, 'default-scheduler', 'default', true],
  );
  const c = spec.containers[0];
  assert.deepEqual(
    [c.imagePullPolicy, c.terminationMessagePath, c.terminationMessagePolicy, c.ports[0].protocol],
    ['Always', '/dev/termination-log', 'File', 'TCP'],
  );
  assert.match(spec.volumes[0].name, /^kube-api-access-[a-z0-9]{5}$/);
  assert.equal(c.volumeMounts[0].mountPath, '/var/run/secrets/kubernetes.io/serviceaccount');
  assert.deepEqual(
    spec.tolerations.map((t: { key: string }) => t.key),
    ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'],
  );
  assert.deepEqual([r.json.status.phase, r.json.status.qosClass], ['Pending', 'BestEffort']);
  f.close();
});

test('pod validation speaks kube-apiserver', async () => {
  const f = await fixture();
  const invalid = async (spec: object, name = 'p'): Promise<string> =>
    (await f.call('POST', '/api/v1/namespaces/default/pods', { metadata: { name }, spec })).json
      .message as string;
  assert.equal(
    await invalid({ containers: [{ name: 'a' }] }),
    'Pod "p" is invalid: spec.containers[0].image: Required value',
  );
  assert.equal(
    await invalid({
      initContainers: [{ name: 'a', image: 'b' }],
      containers: [{ name: 'a', image: 'b' }],
    }),
    'Pod "p" is invalid: spec.containers[0].name: Duplicate value: "a"',
  );
  assert.equal(
    await invalid({ containers: [{ name: 'a', image: 'b', restartPolicy: 'Always' }] }),
    'Pod "p" is invalid: spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers',
  );
  assert.equal(
    await invalid({
      initContainers: [{ name: 'i', image: 'b', restartPolicy: 'Never' }],
      containers: [{ name: 'a', image: 'b' }],
    }),
    'Pod "p" is invalid: spec.initContainers[0].restartPolicy: Unsupported value: "Never": supported values: "Always"',
  );
  assert.equal(
    await invalid({
      containers: [{ name: 'a', image: 'b', volumeMounts: [{ name: 'x', mountPath: '/x' }] }],
    }),
    'Pod "p" is invalid: spec.containers[0].volumeMounts[0].name: Not found: "x"',
  );
  assert.match(
    await invalid({ containers: [{ name: 'a', image: 'b' }] }, 'Bad'),
    /^Pod "Bad" is invalid: metadata\.name: Invalid value: "Bad": a lowercase RFC 1123 subdomain/,
  );
  assert.equal(
    await invalid({ restartPolicy: 'Sometimes', containers: [{ name: 'a', image: 'b' }] }),
    'Pod "p" is invalid: spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
  );
  f.close();
});

test('pod updates may change images only', async () => {
  const f = await fixture();
  const p = (
    await f.call('POST', '/api/v1/namespaces/default/pods', {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'a', image: 'b' }] },
    })
  ).json;
  const img = await f.call(
    'PATCH',
    '/api/v1/namespaces/default/pods/p',
    { spec: { containers: [{ name: 'a', image: 'c' }] } },
    { 'content-type': 'application/strategic-merge-patch+json' },
  );
  assert.equal(img.status, 200);
  const bad = await f.call(
    'PATCH',
    '/api/v1/namespaces/default/pods/p',
    { spec: { restartPolicy: 'Never' } },
    { 'content-type': 'application/merge-patch+json' },
  );
  assert.equal(bad.status, 422);
  assert.match(
    bad.json.message,
    /^Pod "p" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/,
  );
  assert.equal(p.metadata.name, 'p');
  f.close();
});

test('services, secrets, deployments and jobs get their defaults', async () => {
  const f = await fixture();
  const svc = (
    await f.call('POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    })
  ).json;
  assert.equal(svc.spec.type, 'ClusterIP');
  assert.match(svc.spec.clusterIP, /^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
  assert.deepEqual(
    [
      svc.spec.ports[0].protocol,
      svc.spec.ports[0].targetPort,
      svc.spec.ipFamilies[0],
      svc.spec.sessionAffinity,
    ],
    ['TCP', 80, 'IPv4', 'None'],
  );
  const np = (
    await f.call('POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'np' },
      spec: { type: 'NodePort', ports: [{ port: 80 }] },
    })
  ).json;
  assert.ok(np.spec.ports[0].nodePort >= 30000 && np.spec.ports[0].nodePort <= 32767);
  const sec = (
    await f.call('POST', '/api/v1/namespaces/default/secrets', {
      metadata: { name: 's' },
      stringData: { k: 'v' },
    })
  ).json;
  assert.deepEqual([sec.type, sec.data.k, sec.stringData], ['Opaque', 'dg==', undefined]);
  const dep = (
    await f.call('POST', '/apis/apps/v1/namespaces/default/deployments', {
      metadata: { name: 'd' },
      spec: {
        selector: { matchLabels: { app: 'd' } },
        template: {
          metadata: { labels: { app: 'd' } },
          spec: { containers: [{ name: 'a', image: 'b:1' }] },
        },
      },
    })
  ).json;
  assert.deepEqual(
    [
      dep.spec.replicas,
      dep.spec.strategy.type,
      dep.spec.strategy.rollingUpdate.maxSurge,
      dep.spec.revisionHistoryLimit,
      dep.metadata.generation,
    ],
    [1, 'RollingUpdate', '25%', 10, 1],
  );
  const mismatch = await f.call('POST', '/apis/apps/v1/namespaces/default/deployments', {
    metadata: { name: 'm' },
    spec: {
      selector: { matchLabels: { app: 'x' } },
      template: {
        metadata: { labels: { app: 'y' } },
        spec: { containers: [{ name: 'a', image: 'b' }] },
      },
    },
  });
  assert.equal(
    mismatch.json.message,
    'Deployment "m" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`',
  );
  const job = (
    await f.call('POST', '/apis/batch/v1/namespaces/default/jobs', {
      metadata: { name: 'j' },
      spec: {
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'a', image: 'b' }] } },
      },
    })
  ).json;
  assert.deepEqual(
    [
      job.spec.completions,
      job.spec.parallelism,
      job.spec.backoffLimit,
      job.spec.template.metadata.labels['job-name'],
    ],
    [1, 1, 6, 'j'],
  );
  assert.equal(
    job.spec.selector.matchLabels['batch.kubernetes.io/controller-uid'],
    job.metadata.uid,
  );
  f.close();
});
