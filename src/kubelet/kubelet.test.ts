import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../k8s/types/pod.ts';
import { resources } from '../client/kube-client.ts';
import { FakeClock } from '../lib/clock.ts';
import { startNode, until } from './testing/node-fixture.ts';

test('kubelet binds a pod, runs its init and app containers, restarts a crash, and deletes gracefully', async () => {
  const node = await startNode();
  const { client, runtime } = node;
  try {
    await client.create<Pod>(resources.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web' },
      spec: {
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 1,
        initContainers: [{ name: 'init', image: 'busybox:1.36' }],
        containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }],
      },
    });
    await until('init started', () =>
      Promise.resolve(runtime.byName('init')[0]?.state === 'running'),
    );
    const bound = await client.get<Pod>(resources.pods, 'default', 'web');
    assert.equal(bound.spec.nodeName, 'node1');
    assert.equal(bound.status?.phase, 'Pending');
    runtime.exitContainer(runtime.byName('init')[0]!.id, 0);
    const running = await until('Running', async () => {
      const p = await client.get<Pod>(resources.pods, 'default', 'web');
      return p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready
        ? p
        : undefined;
    });
    assert.deepEqual(
      running.status?.conditions?.map((c) => `${c.type}=${c.status}`),
      [
        'PodReadyToStartContainers=True',
        'Initialized=True',
        'Ready=True',
        'ContainersReady=True',
        'PodScheduled=True',
      ],
    );
    assert.equal(
      running.status?.initContainerStatuses?.[0]?.state?.terminated?.reason,
      'Completed',
    );
    runtime.exitContainer(runtime.byName('app')[0]!.id, 1);
    await until('restarted once, at once', async () => {
      const p = await client.get<Pod>(resources.pods, 'default', 'web');
      const s = p.status?.containerStatuses?.[0];
      return s?.restartCount === 1 && s.state?.running && s.lastState?.terminated?.exitCode === 1;
    });
    const events = await client.list(resources.events, 'default');
    const reasons = events.items.map((e) => `${String(e['reason'])}:${String(e['message'])}`);
    assert.ok(reasons.includes('Scheduled:Successfully assigned default/web to node1'));
    assert.ok(reasons.includes('Created:Created container: app'));
    assert.ok(reasons.includes('Started:Started container init'));
    await client.delete(resources.pods, 'default', 'web');
    await until('pod removed', async () =>
      client.get(resources.pods, 'default', 'web').then(
        () => false,
        () => true,
      ),
    );
    // Stopped, then removed with the sandbox once the pod is gone.
    assert.ok(runtime.calls.some((c) => c.startsWith('stopContainer')));
    assert.ok(runtime.calls.some((c) => c.startsWith('removePodSandbox')));
    assert.equal(runtime.byName('app').length, 0);
  } finally {
    await node.stop();
  }
});

test('scenario L13: a sidecar never blocks a Never pod from completing; it is stopped after the app', async () => {
  const node = await startNode();
  const { client, runtime } = node;
  try {
    await client.create<Pod>(resources.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'l13' },
      spec: {
        restartPolicy: 'Never',
        initContainers: [{ name: 's1', image: 'busybox:1.36', restartPolicy: 'Always' }],
        containers: [{ name: 'app', image: 'busybox:1.36' }],
      },
    });
    await until('app running', () =>
      Promise.resolve(runtime.byName('app')[0]?.state === 'running'),
    );
    assert.equal(runtime.byName('s1')[0]?.state, 'running');
    runtime.exitContainer(runtime.byName('app')[0]!.id, 0);
    const done = await until('Succeeded', async () => {
      const p = await client.get<Pod>(resources.pods, 'default', 'l13');
      return p.status?.phase === 'Succeeded' ? p : undefined;
    });
    assert.equal(runtime.byName('s1')[0]?.state, 'exited');
    assert.equal(runtime.byName('s1').length, 1);
    const ready = done.status?.conditions?.find((c) => c.type === 'Ready');
    assert.deepEqual([ready?.status, ready?.reason], ['False', 'PodCompleted']);
    assert.ok(
      runtime.calls.indexOf('stopContainer s1') > runtime.calls.indexOf('startContainer app'),
    );
  } finally {
    await node.stop();
  }
});

test('scenario L39: a missing ConfigMap is CreateContainerConfigError until it appears, with no restart counted', async () => {
  const node = await startNode();
  const { client, runtime } = node;
  try {
    await client.create<Pod>(resources.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'l39' },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'busybox:1.36',
            env: [{ name: 'K', valueFrom: { configMapKeyRef: { name: 'cm1', key: 'k' } } }],
          },
        ],
      },
    });
    const waiting = await until('CreateContainerConfigError', async () => {
      const p = await client.get<Pod>(resources.pods, 'default', 'l39');
      return p.status?.containerStatuses?.[0]?.state?.waiting?.reason ===
        'CreateContainerConfigError'
        ? p
        : undefined;
    });
    assert.equal(
      waiting.status?.containerStatuses?.[0]?.state?.waiting?.message,
      'configmap "cm1" not found',
    );
    assert.equal(waiting.status?.phase, 'Pending');
    assert.equal(runtime.byName('app').length, 0);
    await client.create(resources.configMaps, 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm1' },
      data: { k: 'v' },
    });
    const running = await until(
      'Running',
      async () => {
        const p = await client.get<Pod>(resources.pods, 'default', 'l39');
        return p.status?.phase === 'Running' ? p : undefined;
      },
      10_000,
    );
    assert.equal(running.status?.containerStatuses?.[0]?.restartCount, 0);
    const events = await client.list(resources.events, 'default');
    assert.ok(
      events.items.some(
        (e) => e['reason'] === 'Failed' && e['message'] === 'Error: configmap "cm1" not found',
      ),
    );
  } finally {
    await node.stop();
  }
});

test('probes: a startup probe gates readiness; a failing liveness probe restarts the container', async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const node = await startNode(clock);
  const { client, runtime } = node;
  runtime.setExecResult('app', 1, 'not yet');
  const tick = async (): Promise<void> => {
    await clock.advance(250);
    await new Promise((r) => setTimeout(r, 2));
  };
  const waitFor = async <T>(what: string, fn: () => Promise<T | undefined | false>): Promise<T> => {
    for (let i = 0; i < 400; i++) {
      const v = await fn();
      if (v) return v;
      await tick();
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const get = (): Promise<Pod> => client.get<Pod>(resources.pods, 'default', 'probed');
  try {
    await client.create<Pod>(resources.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probed' },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'app',
            image: 'busybox:1.36',
            startupProbe: {
              exec: { command: ['test', '-f', '/tmp/started'] },
              periodSeconds: 1,
              failureThreshold: 30,
            },
            livenessProbe: { exec: { command: ['check'] }, periodSeconds: 1, failureThreshold: 2 },
          },
        ],
      },
    });
    const notStarted = await waitFor('running, not started', async () => {
      const s = (await get()).status?.containerStatuses?.[0];
      return s?.state?.running ? s : undefined;
    });
    assert.deepEqual([notStarted.started, notStarted.ready], [false, false]);
    await waitFor('a failed startup probe', async () =>
      (await client.list(resources.events, 'default')).items.some(
        (e) => e['message'] === 'Startup probe failed: not yet',
      ),
    );
    runtime.setExecResult('app', 0);
    await waitFor(
      'started and ready',
      async () => (await get()).status?.containerStatuses?.[0]?.ready,
    );
    runtime.setExecResult('app', 1, 'boom');
    const restarted = await waitFor('restarted by liveness', async () => {
      const s = (await get()).status?.containerStatuses?.[0];
      return s && s.restartCount >= 1 ? s : undefined;
    });
    assert.equal(restarted.lastState?.terminated?.exitCode, 143);
    const events = (await client.list(resources.events, 'default')).items.map(
      (e) => `${String(e['reason'])}: ${String(e['message'])}`,
    );
    assert.ok(events.includes('Unhealthy: Startup probe failed: not yet'));
    assert.ok(events.includes('Unhealthy: Liveness probe failed: boom'));
    assert.ok(events.includes('Killing: Container app failed liveness probe, will be restarted'));
  } finally {
    await node.stop();
  }
});

test('termination (L25-like): preStop with the stop, regulars before sidecars, sidecars in reverse order', async () => {
  const node = await startNode();
  const { client, runtime } = node;
  try {
    await client.create<Pod>(resources.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'order' },
      spec: {
        terminationGracePeriodSeconds: 5,
        initContainers: [
          { name: 's1', image: 'busybox:1.36', restartPolicy: 'Always' },
          {
            name: 's2',
            image: 'busybox:1.36',
            restartPolicy: 'Always',
            lifecycle: { preStop: { exec: { command: ['drain'] } } },
          },
        ],
        containers: [
          {
            name: 'app',
            image: 'busybox:1.36',
            lifecycle: { postStart: { exec: { command: ['warm'] } } },
          },
        ],
      },
    });
    await until('app running', () =>
      Promise.resolve(runtime.byName('app')[0]?.state === 'running'),
    );
    await until(
      'Running',
      async () =>
        (await client.get<Pod>(resources.pods, 'default', 'order')).status?.phase === 'Running',
    );
    assert.ok(
      runtime.calls.indexOf('execSync app warm') > runtime.calls.indexOf('startContainer app'),
    );
    await client.delete(resources.pods, 'default', 'order');
    await until('pod removed', async () =>
      client.get(resources.pods, 'default', 'order').then(
        () => false,
        () => true,
      ),
    );
    // preStop hooks start with the termination, concurrently with regular containers' stops;
    // sidecars are signalled after the regular ones, last sidecar first.
    const at = (c: string): number => runtime.calls.indexOf(c);
    assert.ok(at('stopContainer app') < at('stopContainer s2'));
    assert.ok(at('execSync s2 drain') >= 0 && at('execSync s2 drain') < at('stopContainer s2'));
    assert.ok(at('stopContainer s2') < at('stopContainer s1'));
  } finally {
    await node.stop();
  }
});
