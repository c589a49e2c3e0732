/**
 * The pod phase as the v1.33 kubelet computes it from container statuses (pod-lifecycle.md §9):
 * regular init containers, sidecars (restartable init containers) and regular containers each
 * count differently, sidecars never decide a terminal phase, and a terminal phase latches.
 */
import type { ContainerStatus, Pod, PodStatus } from '../../k8s/types/pod.ts';

type Phase = NonNullable<PodStatus['phase']>;

/** Inputs besides the pod spec: converted statuses and whether teardown has finished. */
export interface PhaseInputs {
  initStatuses: ContainerStatus[];
  statuses: ContainerStatus[];
  /** True once the agent has stopped every container of a pod being torn down. */
  podIsTerminal: boolean;
}

const byName = (list: ContainerStatus[]): Map<string, ContainerStatus> =>
  new Map(list.map((s) => [s.name, s]));

/** Computes the phase (without latching; see {@link latchPhase}). */
export function computePodPhase(pod: Pod, inputs: PhaseInputs): Phase {
  const spec = pod.spec;
  const policy = spec.restartPolicy ?? 'Always';
  const init = byName(inputs.initStatuses);
  const regular = byName(inputs.statuses);
  let pendingInit = 0;
  let failedInit = 0;
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of spec.initContainers ?? []) {
    const s = init.get(c.name);
    const sidecar = c.restartPolicy === 'Always';
    if (!sidecar) {
      if (!s) {
        pendingInit++;
        continue;
      }
      const st = s.state ?? {};
      if (st.running) pendingInit++;
      else if (st.terminated) {
        if (st.terminated.exitCode !== 0) failedInit++;
      } else if (st.waiting && s.lastState?.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInit++;
      } else pendingInit++;
      continue;
    }
    if (!s) {
      unknown++;
      continue;
    }
    const st = s.state ?? {};
    if (st.running) {
      running++;
      if (!s.started) pendingInit++;
    } else if (st.terminated) {
      // ignored: a sidecar never decides the phase
    } else if (st.waiting && s.lastState?.terminated) {
      // ignored: restarting
    } else if (st.waiting) {
      pendingInit++;
      waiting++;
    } else {
      pendingInit++;
      unknown++;
    }
  }
  for (const c of spec.containers) {
    const s = regular.get(c.name);
    if (!s) {
      unknown++;
      continue;
    }
    const st = s.state ?? {};
    if (st.running) running++;
    else if (st.terminated) {
      stopped++;
      if (st.terminated.exitCode === 0) succeeded++;
    } else if (st.waiting && s.lastState?.terminated) stopped++;
    else if (st.waiting) waiting++;
    else unknown++;
  }
  const everStarted = inputs.statuses.some(
    (s) => s.state?.running || s.state?.terminated || s.lastState?.terminated,
  );
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if ((pendingInit > 0 && !everStarted) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (inputs.podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

/** A terminal phase never changes back (the kubelet keeps Succeeded/Failed once published). */
export function latchPhase(previous: Phase | undefined, next: Phase): Phase {
  return previous === 'Succeeded' || previous === 'Failed' ? previous : next;
}
