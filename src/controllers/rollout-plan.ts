/**
 * The RollingUpdate arithmetic, as the deployment controller's: how far the new ReplicaSet may
 * scale up (maxSurge) and how far old ones may scale down without dropping below the minimum
 * availability (maxUnavailable). Pure, so it is table-tested.
 */
import type { ReplicaSet } from './replicaset-controller.ts';
import type { Deployment } from './deployment-controller.ts';

/** The ReplicaSets of one deployment. */
export interface RolloutState {
  newRS: ReplicaSet;
  olds: ReplicaSet[];
}

/** What to scale to next. */
export interface RolloutPlan {
  newReplicas: number;
  oldReplicas: [ReplicaSet, number][];
  /** Replicas a freshly created new ReplicaSet starts with. */
  newReplicasOnCreate: number;
}

/** Resolves an int-or-percent against `total`, rounding up (surge) or down (unavailable). */
export function resolveIntOrPercent(
  value: number | string | undefined,
  total: number,
  roundUp: boolean,
  fallback: string,
): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number(v) || 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

const spec = (rs: ReplicaSet): number => rs.spec.replicas ?? 0;
const available = (rs: ReplicaSet): number =>
  (rs.status?.['availableReplicas'] as number | undefined) ?? 0;

/** Surge and unavailability limits of a deployment. */
export function rolloutLimits(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const want = d.spec.replicas ?? 1;
  const ru = d.spec.strategy?.rollingUpdate;
  let maxSurge = resolveIntOrPercent(ru?.maxSurge, want, true, '25%');
  let maxUnavailable = resolveIntOrPercent(ru?.maxUnavailable, want, false, '25%');
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  if (want === 0) maxSurge = Math.max(maxSurge, 0);
  return { maxSurge, maxUnavailable };
}

/** The next step of a rolling update. */
export function rolloutPlan(
  d: Deployment,
  newRS: ReplicaSet | undefined,
  olds: ReplicaSet[],
): RolloutPlan {
  const want = d.spec.replicas ?? 1;
  const { maxSurge, maxUnavailable } = rolloutLimits(d);
  const oldTotal = olds.reduce((n, rs) => n + spec(rs), 0);
  const newReplicasOnCreate = Math.max(0, Math.min(want, want + maxSurge - oldTotal));
  if (!newRS) return { newReplicas: newReplicasOnCreate, oldReplicas: [], newReplicasOnCreate };
  let total = oldTotal + spec(newRS);
  let newReplicas = spec(newRS);
  if (newReplicas > want) newReplicas = want;
  else if (newReplicas < want)
    newReplicas += Math.max(0, Math.min(want + maxSurge - total, want - newReplicas));
  total += newReplicas - spec(newRS);
  // Scale old ReplicaSets down: unavailable replicas may go at once; available ones only as far
  // as the minimum availability allows.
  const minAvailable = want - maxUnavailable;
  const newUnavailable = Math.max(0, newReplicas - available(newRS));
  let canRemove = total - minAvailable - newUnavailable;
  const oldReplicas: [ReplicaSet, number][] = [];
  const ordered = [...olds].sort((a, b) =>
    (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''),
  );
  for (const rs of ordered) {
    const unhealthy = Math.max(0, spec(rs) - available(rs));
    let target = spec(rs) - Math.min(unhealthy, Math.max(0, canRemove));
    canRemove -= spec(rs) - target;
    const more = Math.min(target, Math.max(0, canRemove));
    target -= more;
    canRemove -= more;
    if (target !== spec(rs)) oldReplicas.push([rs, target]);
  }
  return { newReplicas, oldReplicas, newReplicasOnCreate };
}
