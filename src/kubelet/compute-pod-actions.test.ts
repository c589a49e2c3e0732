import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod } from '../k8s/types/pod.ts';
import {
  computePodActions,
  type ObservedContainer,
  type ObservedPod,
} from './compute-pod-actions.ts';

const run = (name: string, extra: Partial<ObservedContainer> = {}): ObservedContainer => ({
  name,
  id: `id-${name}`,
  state: 'running',
  image: 'img',
  started: true,
  ...extra,
});
const exit = (
  name: string,
  exitCode: number,
  extra: Partial<ObservedContainer> = {},
): ObservedContainer => ({
  name,
  id: `id-${name}`,
  state: 'exited',
  exitCode,
  image: 'img',
  started: false,
  ...extra,
});
const c = (name: string, extra: Partial<Container> = {}): Container => ({
  name,
  image: 'img',
  ...extra,
});
function pod(
  restartPolicy: 'Always' | 'OnFailure' | 'Never',
  initContainers: Container[],
  containers: Container[],
): Pod {
  return { metadata: { name: 'p', uid: 'u' }, spec: { restartPolicy, initContainers, containers } };
}
function observed(list: ObservedContainer[], regularStarted = false): ObservedPod {
  return {
    sandboxReady: true,
    hadSandbox: true,
    containers: new Map(list.map((o) => [o.name, o])),
    regularStarted,
  };
}

test('a new pod gets a sandbox and its first init container', () => {
  const a = computePodActions(pod('Always', [c('i1'), c('i2')], [c('app')]), {
    sandboxReady: false,
    hadSandbox: false,
    containers: new Map(),
    regularStarted: false,
  });
  assert.deepEqual(
    [a.createSandbox, a.initContainersToStart, a.containersToStart],
    [true, ['i1'], []],
  );
});

test('init containers run one at a time; the next starts in the sync that sees the exit', () => {
  const p = pod('Always', [c('i1'), c('i2')], [c('app')]);
  assert.deepEqual(computePodActions(p, observed([run('i1')])).initContainersToStart, []);
  assert.deepEqual(computePodActions(p, observed([exit('i1', 0)])).initContainersToStart, ['i2']);
  const done = computePodActions(p, observed([exit('i1', 0), exit('i2', 0)]));
  assert.deepEqual([done.initContainersToStart, done.containersToStart], [[], ['app']]);
});

test('a failed init container restarts under Always/OnFailure and fails the pod under Never', () => {
  assert.deepEqual(
    computePodActions(pod('OnFailure', [c('i1')], [c('app')]), observed([exit('i1', 1)]))
      .initContainersToStart,
    ['i1'],
  );
  const never = computePodActions(pod('Never', [c('i1')], [c('app')]), observed([exit('i1', 1)]));
  assert.deepEqual([never.killPod, never.killPodReason], [true, 'initFailed']);
});

test('a sidecar gates the next init container until started, then runs alongside', () => {
  const p = pod('Always', [c('s1', { restartPolicy: 'Always' }), c('i1')], [c('app')]);
  assert.deepEqual(
    computePodActions(p, observed([run('s1', { started: false })])).initContainersToStart,
    [],
  );
  assert.deepEqual(computePodActions(p, observed([run('s1')])).initContainersToStart, ['i1']);
  const both = computePodActions(p, observed([run('s1'), exit('i1', 0)]));
  assert.deepEqual([both.initContainersToStart, both.containersToStart], [[], ['app']]);
});

test('sidecars restart whatever their exit code and policy; a crashed one behind the frontier does not block', () => {
  const p = pod('Never', [c('s1', { restartPolicy: 'Always' }), c('i1')], [c('app')]);
  assert.deepEqual(
    computePodActions(p, observed([exit('s1', 0), run('i1')])).initContainersToStart,
    ['s1'],
  );
  const after = computePodActions(p, observed([exit('s1', 1), exit('i1', 0), run('app')], true));
  assert.deepEqual(
    [after.initContainersToStart, after.containersToStart, after.killPod],
    [['s1'], [], false],
  );
});

test('regular containers follow restartPolicy; completed init containers never re-run', () => {
  const p = (policy: 'Always' | 'OnFailure' | 'Never'): Pod =>
    pod(policy, [c('i1')], [c('a'), c('b')]);
  assert.deepEqual(
    computePodActions(p('Always'), observed([exit('a', 0), run('b')], true)).containersToStart,
    ['a'],
  );
  assert.deepEqual(
    computePodActions(p('OnFailure'), observed([exit('a', 0), exit('b', 1)], true))
      .containersToStart,
    ['b'],
  );
  assert.deepEqual(
    computePodActions(p('OnFailure'), observed([exit('a', 0), run('b')], true)).containersToStart,
    [],
  );
  assert.deepEqual(
    computePodActions(p('Always'), observed([run('a'), run('b')], true)).initContainersToStart,
    [],
  );
});

test('all regular containers done under Never: the pod completes and its sidecars are stopped', () => {
  const p = pod('Never', [c('s1', { restartPolicy: 'Always' })], [c('app')]);
  const a = computePodActions(p, observed([run('s1'), exit('app', 0)], true));
  assert.deepEqual([a.killPod, a.killPodReason], [true, 'completed']);
});

test('an image change restarts only that container, under every policy; liveness failures restart unless Never', () => {
  const p = pod(
    'Never',
    [c('s1', { restartPolicy: 'Always' })],
    [c('app', { image: 'img:2' }), c('b')],
  );
  const a = computePodActions(p, observed([run('s1'), run('app'), run('b')], true));
  assert.deepEqual(
    a.containersToKill.map((k) => [k.name, k.reason, k.willRestart]),
    [['app', 'definitionChanged', true]],
  );
  assert.deepEqual(a.containersToStart, ['app']);
  const live = computePodActions(
    pod('Never', [], [c('app'), c('b')]),
    observed([run('app', { probeFailed: 'liveness' }), run('b')], true),
  );
  assert.deepEqual(
    live.containersToKill.map((k) => [k.name, k.reason, k.willRestart]),
    [['app', 'livenessProbe', false]],
  );
  assert.deepEqual(live.containersToStart, []);
  const side = computePodActions(
    pod('Never', [c('s1', { restartPolicy: 'Always' })], [c('app')]),
    observed([run('s1', { probeFailed: 'liveness' }), run('app')], true),
  );
  assert.deepEqual(
    [side.containersToKill.map((k) => k.name), side.initContainersToStart],
    [['s1'], ['s1']],
  );
});
