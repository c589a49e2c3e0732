import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiFixture } from '../api/testing/api-fixture.ts';
import { inProcessTransport } from '../daemon/in-process-transport.ts';
import { KubeClient, resources } from '../client/kube-client.ts';
import { SystemClock } from '../lib/clock.ts';
import { nullLogger } from '../lib/log.ts';
import type { Pod } from '../k8s/types/pod.ts';
import { DeploymentController } from './deployment-controller.ts';
import { ReplicaSetController } from './replicaset-controller.ts';
import { GarbageCollector } from './garbage-collector.ts';
import { until } from '../kubelet/testing/node-fixture.ts';

const deployment = (image: string): object => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image }] },
    },
  },
});

test('deployment → replica set → pods, rolling update, and garbage collection on delete', async () => {
  const f = await apiFixture();
  const client = new KubeClient({ transport: inProcessTransport(f.api.handle) });
  const opts = { client, clock: new SystemClock(), log: nullLogger };
  const ac = new AbortController();
  const loops = [
    new DeploymentController(opts).run(ac.signal),
    new ReplicaSetController(opts).run(ac.signal),
    new GarbageCollector({ ...opts, sweepIntervalMs: 200 }).run(ac.signal),
  ];
  try {
    await client.create(resources.deployments, 'default', deployment('nginx:1') as never);
    const pods = await until('3 pods', async () => {
      const l = await client.list<Pod>(resources.pods, 'default');
      return l.items.length === 3 ? l.items : undefined;
    });
    const rsName = pods[0]!.metadata.ownerReferences![0]!.name;
    assert.match(rsName, /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    const hash = pods[0]!.metadata.labels!['pod-template-hash'];
    assert.equal(rsName, `web-${hash}`);
    assert.match(pods[0]!.metadata.name!, new RegExp(`^${rsName}-[a-z0-9]{5}$`));
    const ready = async (): Promise<void> => {
      for (const p of (await client.list<Pod>(resources.pods, 'default')).items) {
        if (p.status?.conditions?.some((c) => c.type === 'Ready')) continue;
        await client.patch(
          resources.pods,
          'default',
          p.metadata.name!,
          { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } },
          'merge',
          { subresource: 'status' },
        );
      }
    };
    await ready();
    await until('deployment available', async () => {
      const d = await client.get(resources.deployments, 'default', 'web');
      const s = d['status'] as
        { availableReplicas?: number; conditions?: { type: string; reason: string }[] } | undefined;
      return (
        s?.availableReplicas === 3 &&
        s.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable')
      );
    });
    await client.patch(
      resources.deployments,
      'default',
      'web',
      { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } },
      'strategic',
    );
    await until(
      'rollout to nginx:2',
      async () => {
        await ready();
        const l = (await client.list<Pod>(resources.pods, 'default')).items.filter(
          (p) => !p.metadata.deletionTimestamp,
        );
        return l.length === 3 && l.every((p) => p.spec.containers[0]!.image === 'nginx:2');
      },
      10_000,
    );
    const sets = await client.list(resources.replicaSets, 'default');
    assert.equal(sets.items.length, 2);
    const events = await client.list(resources.events, 'default');
    assert.ok(
      events.items.some(
        (e) =>
          e['reason'] === 'ScalingReplicaSet' &&
          /^Scaled up replica set web-\S+ from 0 to \d$/.test(String(e['message'])),
      ),
    );
    await client.delete(resources.deployments, 'default', 'web');
    await until('everything collected', async () => {
      const [rs, po] = await Promise.all([
        client.list(resources.replicaSets, 'default'),
        client.list(resources.pods, 'default'),
      ]);
      return rs.items.length === 0 && po.items.length === 0;
    });
  } finally {
    ac.abort();
    await Promise.allSettled(loops);
    f.close();
  }
});

test('job runs pods to completion and reports Complete; endpoints follow ready pods', async () => {
  const f = await apiFixture();
  const client = new KubeClient({ transport: inProcessTransport(f.api.handle) });
  const opts = { client, clock: new SystemClock(), log: nullLogger };
  const ac = new AbortController();
  const { JobController } = await import('./job-controller.ts');
  const { EndpointsController } = await import('./endpoints-controller.ts');
  const loops = [
    new JobController(opts).run(ac.signal),
    new EndpointsController(opts).run(ac.signal),
  ];
  try {
    await client.create(resources.jobs, 'default', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pi' },
      spec: {
        completions: 2,
        parallelism: 1,
        backoffLimit: 1,
        template: {
          metadata: { labels: { 'job-name': 'pi' } },
          spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'busybox' }] },
        },
      },
    } as never);
    const finish = async (phase: 'Succeeded' | 'Failed'): Promise<void> => {
      const pod = await until('an active job pod', async () =>
        (await client.list<Pod>(resources.pods, 'default')).items.find((p) => !p.status?.phase),
      );
      assert.match(pod.metadata.name!, /^pi-[a-z0-9]{5}$/);
      await client.patch(
        resources.pods,
        'default',
        pod.metadata.name!,
        { status: { phase } },
        'merge',
        { subresource: 'status' },
      );
    };
    await finish('Succeeded');
    await finish('Succeeded');
    const job = await until('job complete', async () => {
      const j = await client.get(resources.jobs, 'default', 'pi');
      const s = j['status'] as
        { succeeded?: number; conditions?: { type: string; status: string }[] } | undefined;
      return s?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')
        ? s
        : undefined;
    });
    assert.equal(job.succeeded, 2);
    assert.deepEqual(
      job.conditions!.map((c) => c.type),
      ['SuccessCriteriaMet', 'Complete'],
    );

    await client.create(resources.services, 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] },
    } as never);
    const pod: Pod = await client.create<Pod>(resources.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'w1', labels: { app: 'web' } },
      spec: {
        containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }],
      },
    });
    await client.patch(
      resources.pods,
      'default',
      pod.metadata.name ?? '',
      {
        status: {
          podIP: '10.88.0.5',
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      },
      'merge',
      { subresource: 'status' },
    );
    const ep = await until('endpoints', async () => {
      const e = await client.get(resources.endpoints, 'default', 'web').catch(() => undefined);
      return e?.['subsets'] ? e : undefined;
    });
    assert.deepEqual(ep['subsets'], [
      {
        addresses: [
          {
            ip: '10.88.0.5',
            targetRef: { kind: 'Pod', namespace: 'default', name: 'w1', uid: pod.metadata.uid },
          },
        ],
        ports: [{ port: 8080, protocol: 'TCP' }],
      },
    ]);
  } finally {
    ac.abort();
    await Promise.allSettled(loops);
    f.close();
  }
});
