/** A Deployment's status as kube-controller-manager computes it: counts and conditions. */
import type { Deployment } from './deployment-controller.ts';
import type { ReplicaSet } from './replicaset-controller.ts';
import { rolloutLimits } from './rollout-plan.ts';

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

const num = (rs: ReplicaSet | undefined, k: string): number =>
  (rs?.status?.[k] as number | undefined) ?? 0;

function condition(
  prev: Condition[] | undefined,
  next: Omit<Condition, 'lastUpdateTime' | 'lastTransitionTime'>,
  nowIso: string,
): Condition {
  const old = prev?.find((c) => c.type === next.type);
  const same =
    old && old.status === next.status && old.reason === next.reason && old.message === next.message;
  return {
    ...next,
    lastUpdateTime: same ? (old.lastUpdateTime ?? nowIso) : nowIso,
    lastTransitionTime:
      old && old.status === next.status ? (old.lastTransitionTime ?? nowIso) : nowIso,
  };
}

/** The status to publish and whether the rollout is complete. */
export function deploymentStatus(
  d: Deployment,
  newRS: ReplicaSet | undefined,
  olds: ReplicaSet[],
  now: number,
): { full: Record<string, unknown>; complete: boolean } {
  const all = newRS ? [newRS, ...olds] : olds;
  const want = d.spec.replicas ?? 1;
  const replicas = all.reduce((n, rs) => n + num(rs, 'replicas'), 0);
  const readyReplicas = all.reduce((n, rs) => n + num(rs, 'readyReplicas'), 0);
  const availableReplicas = all.reduce((n, rs) => n + num(rs, 'availableReplicas'), 0);
  const updatedReplicas = num(newRS, 'replicas');
  const { maxUnavailable } = rolloutLimits(d);
  const nowIso = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
  const prev = d.status?.['conditions'] as Condition[] | undefined;
  const complete =
    !!newRS && updatedReplicas === want && replicas === want && availableReplicas === want;
  const rsName = newRS?.metadata.name ?? '';
  const conditions = [
    condition(
      prev,
      availableReplicas >= want - maxUnavailable
        ? {
            type: 'Available',
            status: 'True',
            reason: 'MinimumReplicasAvailable',
            message: 'Deployment has minimum availability.',
          }
        : {
            type: 'Available',
            status: 'False',
            reason: 'MinimumReplicasUnavailable',
            message: 'Deployment does not have minimum availability.',
          },
      nowIso,
    ),
    condition(
      prev,
      complete
        ? {
            type: 'Progressing',
            status: 'True',
            reason: 'NewReplicaSetAvailable',
            message: `ReplicaSet "${rsName}" has successfully progressed.`,
          }
        : {
            type: 'Progressing',
            status: 'True',
            reason: 'ReplicaSetUpdated',
            message: `ReplicaSet "${rsName}" is progressing.`,
          },
      nowIso,
    ),
  ];
  const full: Record<string, unknown> = {
    observedGeneration: d.metadata.generation ?? 1,
    replicas,
    updatedReplicas,
    readyReplicas,
    availableReplicas,
    ...(want - availableReplicas > 0 ? { unavailableReplicas: want - availableReplicas } : {}),
    conditions,
  };
  for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas'])
    if (full[k] === 0) delete full[k];
  return { full, complete };
}
