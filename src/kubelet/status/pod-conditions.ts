/**
 * The pod conditions the kubelet owns (pod-lifecycle.md §10), in upstream order:
 * PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled — with upstream's
 * reasons and messages, and `lastTransitionTime` kept while a condition's status is unchanged.
 */
import type { ContainerStatus, Pod, PodCondition, PodStatus } from '../../k8s/types/pod.ts';

/** What conditions are computed from. */
export interface ConditionInputs {
  phase: NonNullable<PodStatus['phase']>;
  initStatuses: ContainerStatus[];
  statuses: ContainerStatus[];
  /** A ready sandbox exists. */
  sandboxReady: boolean;
  /** RFC 3339 now, for transitions. */
  now: string;
}

const list = (names: string[]): string => `[${names.join(' ')}]`;

function make(
  type: string,
  ok: boolean,
  now: string,
  previous: PodCondition[] | undefined,
  reason?: string,
  message?: string,
): PodCondition {
  const status = ok ? 'True' : 'False';
  const old = previous?.find((c) => c.type === type);
  return {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: old && old.status === status ? (old.lastTransitionTime ?? now) : now,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

/** The kubelet-owned conditions, keeping any others (readiness gates, DisruptionTarget) first. */
export function computePodConditions(pod: Pod, inputs: ConditionInputs): PodCondition[] {
  const prev = pod.status?.conditions;
  const { phase, now } = inputs;
  const spec = pod.spec;
  const init = new Map(inputs.initStatuses.map((s) => [s.name, s]));
  const regular = new Map(inputs.statuses.map((s) => [s.name, s]));
  const initContainers = spec.initContainers ?? [];
  const sidecars = initContainers.filter((c) => c.restartPolicy === 'Always');

  // Initialized
  const incomplete: string[] = [];
  for (const c of initContainers) {
    const s = init.get(c.name);
    const done = c.restartPolicy === 'Always' ? !!s?.started : !!s?.ready;
    if (!done) incomplete.push(c.name);
  }
  const everStarted = inputs.statuses.some(
    (s) => s.state?.running || s.state?.terminated || s.lastState?.terminated,
  );
  let initialized: PodCondition;
  if (phase === 'Succeeded') initialized = make('Initialized', true, now, prev, 'PodCompleted');
  else if (initContainers.length === 0 || incomplete.length === 0 || everStarted) {
    initialized = make('Initialized', true, now, prev);
  } else {
    initialized = make(
      'Initialized',
      false,
      now,
      prev,
      'ContainersNotInitialized',
      `containers with incomplete status: ${list(incomplete)}`,
    );
  }

  // ContainersReady and Ready
  const unready = [
    ...sidecars.filter((c) => !init.get(c.name)?.ready).map((c) => c.name),
    ...spec.containers.filter((c) => !regular.get(c.name)?.ready).map((c) => c.name),
  ];
  let containersReady: PodCondition;
  if (phase === 'Succeeded')
    containersReady = make('ContainersReady', false, now, prev, 'PodCompleted');
  else if (phase === 'Failed')
    containersReady = make('ContainersReady', false, now, prev, 'PodFailed');
  else if (unready.length === 0) containersReady = make('ContainersReady', true, now, prev);
  else
    containersReady = make(
      'ContainersReady',
      false,
      now,
      prev,
      'ContainersNotReady',
      `containers with unready status: ${list(unready)}`,
    );
  let ready = make(
    'Ready',
    containersReady.status === 'True',
    now,
    prev,
    containersReady.reason,
    containersReady.message,
  );
  if (ready.status === 'True') {
    for (const gate of spec.readinessGates ?? []) {
      const c = prev?.find((x) => x.type === gate.conditionType);
      if (!c) {
        ready = make(
          'Ready',
          false,
          now,
          prev,
          'ReadinessGatesNotReady',
          `corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`,
        );
        break;
      }
      if (c.status !== 'True') {
        ready = make(
          'Ready',
          false,
          now,
          prev,
          'ReadinessGatesNotReady',
          `the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`,
        );
        break;
      }
    }
  }
  const owned = new Set([
    'PodReadyToStartContainers',
    'Initialized',
    'Ready',
    'ContainersReady',
    'PodScheduled',
  ]);
  const others = (prev ?? []).filter((c) => !owned.has(c.type));
  const scheduled = prev?.find((c) => c.type === 'PodScheduled');
  return [
    ...others,
    make('PodReadyToStartContainers', inputs.sandboxReady, now, prev),
    initialized,
    ready,
    containersReady,
    scheduled?.status === 'True' ? scheduled : make('PodScheduled', true, now, prev),
  ];
}
