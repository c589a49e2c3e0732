/**
 * How a pod's containers are stopped (pod-lifecycle.md §13): every container's preStop starts at
 * once; regular containers get their stop signal right after their own preStop; sidecars wait
 * until every regular container and every later sidecar has exited, so they stop in reverse spec
 * order; every container gets at least the 2 s minimum window; containers that are not running
 * count as already stopped.
 */
import type { Pod } from '../k8s/types/pod.ts';

/** The minimum SIGTERM → SIGKILL window the kubelet always allows. */
export const minimumGraceSeconds = 2;

/** The stop plan of one running container. */
export interface ContainerStop {
  name: string;
  isSidecar: boolean;
  /** Containers that must have exited before this one gets its stop signal. */
  waitFor: string[];
}

/** Plans the stop of the running containers `running` (names) of `pod`. */
export function terminationOrder(pod: Pod, running: Set<string>): ContainerStop[] {
  const regular = pod.spec.containers.map((c) => c.name).filter((n) => running.has(n));
  const sidecars = (pod.spec.initContainers ?? [])
    .filter((c) => c.restartPolicy === 'Always')
    .map((c) => c.name);
  const plan: ContainerStop[] = regular.map((name) => ({ name, isSidecar: false, waitFor: [] }));
  for (let i = 0; i < sidecars.length; i++) {
    const name = sidecars[i]!;
    if (!running.has(name)) continue;
    const later = sidecars.slice(i + 1).filter((n) => running.has(n));
    plan.push({ name, isSidecar: true, waitFor: [...regular, ...later] });
  }
  // Regular init containers still running (pod deleted during initialization): no ordering.
  for (const c of pod.spec.initContainers ?? []) {
    if (c.restartPolicy !== 'Always' && running.has(c.name))
      plan.push({ name: c.name, isSidecar: false, waitFor: [] });
  }
  return plan;
}

/**
 * The grace period for a pod being torn down (§13.2): the deletion grace period if the pod is
 * being deleted, else `terminationGracePeriodSeconds` (default 30); never less than 1.
 */
export function podGraceSeconds(pod: Pod): number {
  const deletion = pod.metadata.deletionGracePeriodSeconds;
  const grace =
    deletion !== undefined && deletion > 0
      ? deletion
      : (pod.spec.terminationGracePeriodSeconds ?? 30);
  return Math.max(1, grace);
}

/**
 * The SIGTERM → SIGKILL window left for one container after its preStop took `preStopSeconds`
 * and its wait for other containers took `waitedSeconds` (whole seconds, truncated), with the
 * 2 s minimum.
 */
export function remainingGrace(
  grace: number,
  preStopSeconds: number,
  waitedSeconds: number,
): number {
  return Math.max(
    minimumGraceSeconds,
    grace - Math.trunc(preStopSeconds) - Math.trunc(waitedSeconds),
  );
}
