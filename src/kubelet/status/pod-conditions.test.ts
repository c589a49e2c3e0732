import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerStatus, Pod } from '../../k8s/types/pod.ts';
import { computePodConditions } from './pod-conditions.ts';

const now = '2026-01-01T00:00:00Z';
const st = (name: string, extra: Partial<ContainerStatus>): ContainerStatus => ({
  name,
  ready: false,
  restartCount: 0,
  image: 'i',
  imageID: '',
  ...extra,
});
const pod: Pod = {
  metadata: { name: 'p' },
  spec: {
    initContainers: [
      { name: 'i1', image: 'i' },
      { name: 's1', image: 'i', restartPolicy: 'Always' },
    ],
    containers: [{ name: 'app', image: 'i' }],
  },
};

test('computePodConditions() while initializing: incomplete init containers in spec order', () => {
  const c = computePodConditions(pod, {
    phase: 'Pending',
    initStatuses: [
      st('i1', { state: { running: {} } }),
      st('s1', { state: { waiting: { reason: 'PodInitializing' } } }),
    ],
    statuses: [st('app', { state: { waiting: { reason: 'PodInitializing' } } })],
    sandboxReady: true,
    now,
  });
  assert.deepEqual(
    c.map((x) => x.type),
    ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'],
  );
  const init = c.find((x) => x.type === 'Initialized')!;
  assert.deepEqual(
    [init.status, init.reason, init.message],
    ['False', 'ContainersNotInitialized', 'containers with incomplete status: [i1 s1]'],
  );
  const ready = c.find((x) => x.type === 'ContainersReady')!;
  assert.deepEqual(
    [ready.status, ready.reason, ready.message],
    ['False', 'ContainersNotReady', 'containers with unready status: [s1 app]'],
  );
});

test('computePodConditions() when running and ready; terminal phases force Ready False', () => {
  const inputs = {
    initStatuses: [
      st('i1', { state: { terminated: { exitCode: 0 } }, ready: true }),
      st('s1', { state: { running: {} }, started: true, ready: true }),
    ],
    statuses: [st('app', { state: { running: {} }, ready: true, started: true })],
    sandboxReady: true,
    now,
  };
  const c = computePodConditions(pod, { ...inputs, phase: 'Running' });
  assert.ok(c.every((x) => x.status === 'True'));
  const done = computePodConditions(pod, { ...inputs, phase: 'Succeeded', sandboxReady: false });
  const byType = Object.fromEntries(done.map((x) => [x.type, x]));
  assert.deepEqual([byType['Ready']!.status, byType['Ready']!.reason], ['False', 'PodCompleted']);
  assert.deepEqual(
    [byType['Initialized']!.status, byType['Initialized']!.reason],
    ['True', 'PodCompleted'],
  );
  assert.equal(byType['PodReadyToStartContainers']!.status, 'False');
  const failed = computePodConditions(pod, { ...inputs, phase: 'Failed' });
  assert.equal(failed.find((x) => x.type === 'ContainersReady')!.reason, 'PodFailed');
});

test('computePodConditions() keeps lastTransitionTime while the status holds, and readiness gates', () => {
  const gated: Pod = {
    ...pod,
    spec: { ...pod.spec, readinessGates: [{ conditionType: 'example.com/gate' }] },
  };
  const inputs = {
    phase: 'Running' as const,
    initStatuses: [
      st('i1', { state: { terminated: { exitCode: 0 } }, ready: true }),
      st('s1', { state: { running: {} }, started: true, ready: true }),
    ],
    statuses: [st('app', { state: { running: {} }, ready: true })],
    sandboxReady: true,
  };
  const first = computePodConditions(gated, { ...inputs, now });
  const ready = first.find((x) => x.type === 'Ready')!;
  assert.deepEqual(
    [ready.status, ready.reason, ready.message],
    [
      'False',
      'ReadinessGatesNotReady',
      'corresponding condition of pod readiness gate "example.com/gate" does not exist.',
    ],
  );
  const later = computePodConditions(
    { ...gated, status: { conditions: first } },
    { ...inputs, now: '2026-01-01T00:05:00Z' },
  );
  assert.equal(later.find((x) => x.type === 'ContainersReady')!.lastTransitionTime, now);
});
