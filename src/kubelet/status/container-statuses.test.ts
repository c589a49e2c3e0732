import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../k8s/types/pod.ts';
import type { ContainerStatus as RuntimeContainer } from '../../runtime/container-runtime.ts';
import { convertContainerStatuses, type StartError } from './container-statuses.ts';

const inst = (
  name: string,
  attempt: number,
  state: RuntimeContainer['state'],
  exitCode?: number,
): RuntimeContainer => ({
  id: `${name}-${attempt}`,
  sandboxId: 'sb',
  name,
  attempt,
  state,
  createdAt: attempt * 1000,
  startedAt: Date.UTC(2026, 0, 1, 0, 0, attempt),
  ...(state === 'exited'
    ? { finishedAt: Date.UTC(2026, 0, 1, 0, 1, attempt), exitCode: exitCode ?? 0 }
    : {}),
  image: 'img',
  imageId: 'sha256:abc',
  logPath: '',
  labels: {},
  annotations: {},
});
const allOk = (): { started: boolean; ready: boolean } => ({ started: true, ready: true });
function pod(restartPolicy: 'Always' | 'Never', withInit = false, sidecar = false): Pod {
  return {
    metadata: { name: 'web', uid: 'u' },
    spec: {
      restartPolicy,
      ...(withInit
        ? {
            initContainers: [
              {
                name: 'init',
                image: 'img',
                ...(sidecar ? { restartPolicy: 'Always' as const } : {}),
              },
            ],
          }
        : {}),
      containers: [
        { name: 'zeta', image: 'img' },
        { name: 'alpha', image: 'img' },
      ],
    },
  };
}

test('containers without instances wait with ContainerCreating, or PodInitializing when the pod has init containers', () => {
  const a = convertContainerStatuses(pod('Always'), {
    instances: [],
    startErrors: new Map(),
    probes: allOk,
  });
  assert.deepEqual(
    a.statuses.map((s) => [s.name, s.state?.waiting?.reason]),
    [
      ['alpha', 'ContainerCreating'],
      ['zeta', 'ContainerCreating'],
    ],
  );
  const b = convertContainerStatuses(pod('Always', true), {
    instances: [],
    startErrors: new Map(),
    probes: allOk,
  });
  assert.equal(b.initStatuses[0]!.state?.waiting?.reason, 'PodInitializing');
  assert.equal(b.statuses[0]!.state?.waiting?.reason, 'PodInitializing');
});

test('a crashed container in back-off shows CrashLoopBackOff with the crash as lastState', () => {
  const errs = new Map<string, StartError>([
    [
      'alpha',
      {
        reason: 'CrashLoopBackOff',
        message: 'back-off 10s restarting failed container=alpha pod=web_default(u)',
      },
    ],
  ]);
  const out = convertContainerStatuses(pod('Always'), {
    instances: [
      inst('alpha', 0, 'exited', 0),
      inst('alpha', 1, 'exited', 1),
      inst('zeta', 0, 'running'),
    ],
    startErrors: errs,
    probes: allOk,
  });
  const alpha = out.statuses[0]!;
  assert.equal(alpha.state?.waiting?.reason, 'CrashLoopBackOff');
  assert.equal(alpha.lastState?.terminated?.exitCode, 1);
  assert.equal(alpha.lastState?.terminated?.reason, 'Error');
  assert.equal(alpha.restartCount, 1);
  assert.equal(alpha.ready, false);
  const zeta = out.statuses[1]!;
  assert.deepEqual([zeta.ready, zeta.started, zeta.containerID], [true, true, 'runc://zeta-0']);
});

test('under Never a crashed sidecar keeps showing terminated; a completed init container stays ready', () => {
  const errs = new Map<string, StartError>([
    ['init', { reason: 'CrashLoopBackOff', message: 'x' }],
  ]);
  const side = convertContainerStatuses(pod('Never', true, true), {
    instances: [inst('init', 0, 'exited', 1)],
    startErrors: errs,
    probes: allOk,
  });
  assert.equal(side.initStatuses[0]!.state?.terminated?.reason, 'Error');
  const init = convertContainerStatuses(pod('Always', true), {
    instances: [inst('init', 0, 'exited', 0)],
    startErrors: new Map(),
    probes: allOk,
  });
  assert.deepEqual(
    [init.initStatuses[0]!.ready, init.initStatuses[0]!.state?.terminated?.reason],
    [true, 'Completed'],
  );
});

test('a running container is not ready until its startup and readiness probes pass', () => {
  const out = convertContainerStatuses(pod('Always'), {
    instances: [inst('alpha', 0, 'running')],
    startErrors: new Map(),
    probes: () => ({ started: false, ready: false }),
  });
  assert.deepEqual(
    [out.statuses[0]!.started, out.statuses[0]!.ready, !!out.statuses[0]!.state?.running],
    [false, false, true],
  );
});
