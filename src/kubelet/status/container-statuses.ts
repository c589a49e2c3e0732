/**
 * Converts runtime container instances into the API's container statuses as the v1.33 kubelet
 * does (pod-lifecycle.md §8): default waiting reasons, state from the newest instance, lastState
 * from the one before, the "waiting override" from the last start error (CrashLoopBackOff,
 * ImagePullBackOff, CreateContainerConfigError, …), started/ready flags, and the sort order.
 */
import type { Container, ContainerState, ContainerStatus, Pod } from '../../k8s/types/pod.ts';
import type { ContainerStatus as RuntimeContainer } from '../../runtime/container-runtime.ts';
import { shouldRestart } from '../compute-pod-actions.ts';

/** The last failed start attempt of a container (the kubelet's reason cache). */
export interface StartError {
  reason: string;
  message: string;
}

/** Probe-derived flags of the newest instance. */
export interface ProbeFlags {
  /** Startup probe succeeded (or there is none). */
  started: boolean;
  /** Latest readiness result is success (or there is no readiness probe). */
  ready: boolean;
}

/** Everything the conversion reads. */
export interface StatusInputs {
  /** Instances of this pod, any order. */
  instances: RuntimeContainer[];
  startErrors: Map<string, StartError>;
  probes: (containerName: string, instanceId: string) => ProbeFlags;
}

const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

function terminated(i: RuntimeContainer): ContainerState {
  const t = {
    exitCode: i.exitCode ?? 0,
    reason: i.reason ?? ((i.exitCode ?? 0) === 0 ? 'Completed' : 'Error'),
    ...(i.message ? { message: i.message } : {}),
    ...(iso(i.startedAt) ? { startedAt: iso(i.startedAt)! } : {}),
    ...(iso(i.finishedAt) ? { finishedAt: iso(i.finishedAt)! } : {}),
    containerID: `runc://${i.id}`,
  };
  return { terminated: t };
}

function stateOf(i: RuntimeContainer): ContainerState {
  if (i.state === 'running')
    return { running: { ...(iso(i.startedAt) ? { startedAt: iso(i.startedAt)! } : {}) } };
  if (i.state === 'exited') return terminated(i);
  return { waiting: {} };
}

function convertOne(
  pod: Pod,
  spec: Container,
  kind: 'init' | 'sidecar' | 'regular',
  previous: ContainerStatus | undefined,
  inputs: StatusInputs,
): ContainerStatus {
  const defaultReason =
    (pod.spec.initContainers?.length ?? 0) > 0 ? 'PodInitializing' : 'ContainerCreating';
  const mine = inputs.instances
    .filter((i) => i.name === spec.name)
    .sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
  const newest = mine[0];
  let status: ContainerStatus;
  if (!newest) {
    status = previous?.state?.terminated
      ? { ...previous }
      : {
          name: spec.name,
          state: { waiting: { reason: defaultReason } },
          ...(previous?.lastState ? { lastState: previous.lastState } : {}),
          ready: false,
          restartCount: previous?.restartCount ?? 0,
          image: spec.image ?? '',
          imageID: '',
          started: false,
        };
  } else {
    const flags =
      newest.state === 'running'
        ? inputs.probes(spec.name, newest.id)
        : { started: false, ready: false };
    const second = mine[1];
    status = {
      name: spec.name,
      state: stateOf(newest),
      ...(second && second.state === 'exited'
        ? { lastState: terminated(second) }
        : previous?.lastState
          ? { lastState: previous.lastState }
          : { lastState: {} }),
      ready: false,
      restartCount: newest.attempt,
      image: spec.image ?? newest.image,
      imageID: newest.imageRef ?? newest.imageId,
      containerID: `runc://${newest.id}`,
      started: newest.state === 'running' && flags.started,
    };
    if (kind === 'init') status.ready = newest.state === 'exited' && newest.exitCode === 0;
    else status.ready = newest.state === 'running' && flags.started && flags.ready;
  }
  // The waiting override: a container that will be (re)started and last failed to start.
  const err = inputs.startErrors.get(spec.name);
  // Init containers (sidecars included) whose newest instance exited 0 keep showing it (§8.4 (a)).
  const initDone = kind !== 'regular' && newest?.state === 'exited' && newest.exitCode === 0;
  const observed = newest
    ? {
        name: newest.name,
        id: newest.id,
        state: newest.state,
        ...(newest.exitCode !== undefined ? { exitCode: newest.exitCode } : {}),
        image: newest.image,
        started: false,
      }
    : undefined;
  if (err && !initDone && shouldRestart(pod, observed)) {
    if (status.state?.terminated) status.lastState = status.state;
    status.state = { waiting: { reason: err.reason, message: err.message } };
    status.ready = false;
    status.started = false;
  }
  return status;
}

/** Converted statuses: init containers in spec order, regular containers sorted by name. */
export function convertContainerStatuses(
  pod: Pod,
  inputs: StatusInputs,
): { initStatuses: ContainerStatus[]; statuses: ContainerStatus[] } {
  const prevInit = new Map((pod.status?.initContainerStatuses ?? []).map((s) => [s.name, s]));
  const prev = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  const initStatuses = (pod.spec.initContainers ?? []).map((c) =>
    convertOne(
      pod,
      c,
      c.restartPolicy === 'Always' ? 'sidecar' : 'init',
      prevInit.get(c.name),
      inputs,
    ),
  );
  const statuses = pod.spec.containers
    .map((c) => convertOne(pod, c, 'regular', prev.get(c.name), inputs))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { initStatuses, statuses };
}
