import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, ContainerState, ContainerStatus, Pod } from '../../k8s/types/pod.ts';
import { computePodPhase, latchPhase } from './pod-phase.ts';

const running: ContainerState = { running: { startedAt: 't' } };
const exited = (code: number): ContainerState => ({ terminated: { exitCode: code } });
const waiting = (reason = 'ContainerCreating'): ContainerState => ({
  waiting: { reason },
});
const st = (
  name: string,
  state: ContainerState,
  extra: Partial<ContainerStatus> = {},
): ContainerStatus => ({
  name,
  state,
  ready: false,
  restartCount: 0,
  image: 'i',
  imageID: '',
  ...extra,
});
function pod(
  restartPolicy: 'Always' | 'OnFailure' | 'Never',
  init: Container[],
  containers: string[],
): Pod {
  return {
    metadata: { name: 'p' },
    spec: {
      restartPolicy,
      initContainers: init,
      containers: containers.map((name) => ({ name, image: 'i' })),
    },
  };
}
const sidecar = (name: string): Container => ({ name, image: 'i', restartPolicy: 'Always' });
const initC = (name: string): Container => ({ name, image: 'i' });

const cases: [string, Pod, ContainerStatus[], ContainerStatus[], boolean, string][] = [
  ['no status yet: Pending', pod('Always', [], ['a']), [], [st('a', waiting())], false, 'Pending'],
  ['running: Running', pod('Always', [], ['a']), [], [st('a', running)], false, 'Running'],
  [
    'Never, exit 0: Succeeded',
    pod('Never', [], ['a']),
    [],
    [st('a', exited(0))],
    false,
    'Succeeded',
  ],
  ['Never, exit 1: Failed', pod('Never', [], ['a']), [], [st('a', exited(1))], false, 'Failed'],
  [
    'OnFailure, exit 1: Running (will restart)',
    pod('OnFailure', [], ['a']),
    [],
    [st('a', exited(1))],
    false,
    'Running',
  ],
  ['Always, exit 0: Running', pod('Always', [], ['a']), [], [st('a', exited(0))], false, 'Running'],
  [
    'Always, crash-looping: Running',
    pod('Always', [], ['a']),
    [],
    [st('a', waiting('CrashLoopBackOff'), { lastState: exited(1) })],
    false,
    'Running',
  ],
  [
    'one waiting without history keeps it Pending',
    pod('Always', [], ['a', 'b']),
    [],
    [st('a', running), st('b', waiting('ImagePullBackOff'))],
    false,
    'Pending',
  ],
  [
    'init failed under Never: Failed',
    pod('Never', [initC('i')], ['a']),
    [st('i', exited(1))],
    [st('a', waiting('PodInitializing'))],
    false,
    'Failed',
  ],
  [
    'init failed under Always: Pending',
    pod('Always', [initC('i')], ['a']),
    [st('i', waiting('CrashLoopBackOff'), { lastState: exited(1) })],
    [st('a', waiting('PodInitializing'))],
    false,
    'Pending',
  ],
  [
    'sidecar still running, app done (Never): Running until the completion kill',
    pod('Never', [sidecar('s')], ['a']),
    [st('s', running, { started: true })],
    [st('a', exited(0))],
    false,
    'Running',
  ],
  [
    'sidecar exit code never decides (terminal)',
    pod('Never', [sidecar('s')], ['a']),
    [st('s', exited(137))],
    [st('a', exited(0))],
    true,
    'Succeeded',
  ],
  [
    'sidecar not started yet: Pending',
    pod('Never', [sidecar('s')], ['a']),
    [st('s', running, { started: false })],
    [st('a', waiting('PodInitializing'))],
    false,
    'Pending',
  ],
  [
    'Always deleted, SIGTERM 143: Failed',
    pod('Always', [], ['a']),
    [],
    [st('a', exited(143))],
    true,
    'Failed',
  ],
  [
    'Always deleted, clean exit: Succeeded',
    pod('Always', [], ['a']),
    [],
    [st('a', exited(0))],
    true,
    'Succeeded',
  ],
];

for (const [name, p, init, regular, terminal, want] of cases) {
  test(`computePodPhase(): ${name}`, () => {
    assert.equal(
      computePodPhase(p, { initStatuses: init, statuses: regular, podIsTerminal: terminal }),
      want,
    );
  });
}

test('latchPhase() keeps a terminal phase', () => {
  assert.equal(latchPhase('Succeeded', 'Running'), 'Succeeded');
  assert.equal(latchPhase('Failed', 'Pending'), 'Failed');
  assert.equal(latchPhase('Running', 'Succeeded'), 'Succeeded');
});
