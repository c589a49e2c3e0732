import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container, Pod } from '../k8s/types/pod.ts';
import type { ImageInfo } from '../runtime/container-runtime.ts';
import { CreateContainerConfigError } from './container-env.ts';
import { containerResources, containerSecurity } from './container-linux.ts';

const GiB = 2 ** 30;
const pod = (
  c: Container,
  extra: Partial<Pod['spec']> = {},
  qos?: 'Guaranteed' | 'Burstable' | 'BestEffort',
): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
  spec: { containers: [c], ...extra },
  ...(qos ? { status: { qosClass: qos } } : {}),
});
const image = (user?: string): ImageInfo => ({
  id: 'sha256:1',
  repoTags: [],
  repoDigests: [],
  size: 1,
  config: user !== undefined ? { user } : {},
});

test('resources: memory limit, CFS quota and shares, OOM score by QoS class', () => {
  const c: Container = {
    name: 'a',
    resources: {
      limits: { cpu: '500m', memory: '64Mi' },
      requests: { cpu: '250m', memory: '32Mi' },
    },
  };
  const r = containerResources(pod(c, {}, 'Burstable'), c, 8 * GiB);
  assert.equal(r.memoryLimitBytes, 64 * 2 ** 20);
  assert.equal(r.cpuQuota, 50000);
  assert.equal(r.cpuPeriod, 100000);
  assert.equal(r.cpuShares, 256);
  assert.equal(r.oomScoreAdj, 1000 - Math.trunc((1000 * 32 * 2 ** 20) / (8 * GiB)));
  const g: Container = { name: 'g', resources: { limits: { cpu: '1', memory: '1Gi' } } };
  const rg = containerResources(pod(g, {}, 'Guaranteed'), g, 8 * GiB);
  assert.deepEqual([rg.cpuShares, rg.cpuQuota, rg.oomScoreAdj], [1024, 100000, -997]);
  const b: Container = { name: 'b' };
  const rb = containerResources(pod(b, {}, 'BestEffort'), b, 8 * GiB);
  assert.deepEqual(rb, { cpuShares: 2, oomScoreAdj: 1000 });
});

test('security: container settings override the pod, groups include fsGroup', () => {
  const c: Container = {
    name: 'a',
    securityContext: {
      runAsUser: 7,
      privileged: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { add: ['NET_ADMIN'], drop: ['KILL'] },
    },
  };
  const s = containerSecurity(
    pod(c, {
      securityContext: { runAsUser: 1, runAsGroup: 2, fsGroup: 3, supplementalGroups: [4] },
    }),
    c,
    image('nginx'),
  );
  assert.deepEqual(s, {
    privileged: true,
    capAdd: ['NET_ADMIN'],
    capDrop: ['KILL'],
    runAsUser: 7,
    runAsGroup: 2,
    runAsUsername: 'nginx',
    supplementalGroups: [4, 3],
    readOnlyRootfs: true,
    noNewPrivileges: true,
    procMount: 'Default',
  });
});

test('security: runAsNonRoot against root and non-numeric image users', () => {
  const c: Container = { name: 'a', securityContext: { runAsNonRoot: true } };
  assert.throws(
    () => containerSecurity(pod(c), c, image()),
    (e: unknown) =>
      e instanceof CreateContainerConfigError &&
      e.message ===
        'container has runAsNonRoot and image will run as root (pod: "p_ns(u1)", container: a)',
  );
  assert.throws(
    () => containerSecurity(pod(c), c, image('nginx')),
    /image has non-numeric user \(nginx\), cannot verify user is non-root/,
  );
  assert.equal(containerSecurity(pod(c), c, image('1000')).runAsUsername, '1000');
  const withUid: Container = { name: 'a', securityContext: { runAsNonRoot: true, runAsUser: 5 } };
  assert.equal(containerSecurity(pod(withUid), withUid, image()).runAsUser, 5);
});
