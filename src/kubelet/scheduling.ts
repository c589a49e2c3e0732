/**
 * The scheduler's verdict on a one-node cluster: whether a pod fits this Node (taints,
 * nodeSelector and required node affinity, allocatable pods/cpu/memory) and, when it does not,
 * the `FailedScheduling` message worded as the v1.33 default scheduler words it. The filters run
 * in the scheduler's order (TaintToleration, NodeAffinity, NodeResourcesFit) and the first that
 * fails decides, as the scheduler stops at the first failing filter per node.
 */
import type { Container, Pod } from '../k8s/types/pod.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import { milliValue, parseQuantity } from './volumes/quantity.ts';

interface Taint {
  key: string;
  value?: string;
  effect: string;
}
interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}
interface Term {
  matchExpressions?: Requirement[];
  matchFields?: Requirement[];
}

/** The parts of a Node the verdict reads. */
export interface NodeView extends KubeObject {
  spec?: { taints?: Taint[]; unschedulable?: boolean };
  status?: { allocatable?: Record<string, string> };
}

const noPreemptionHelp =
  'preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.';
const noVictims =
  'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.';

function tolerated(pod: Pod, t: Taint): boolean {
  return (pod.spec.tolerations ?? []).some((tol) => {
    if (tol.effect && tol.effect !== t.effect) return false;
    if (!tol.key) return tol.operator === 'Exists';
    if (tol.key !== t.key) return false;
    return tol.operator === 'Exists' || (tol.value ?? '') === (t.value ?? '');
  });
}

function matches(r: Requirement, value: string | undefined): boolean {
  const vs = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && vs.includes(value);
    case 'NotIn':
      return value === undefined || !vs.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || !/^-?\d+$/.test(value) || vs.length !== 1) return false;
      const a = Number(value);
      const b = Number(vs[0]);
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

function affinityMatches(pod: Pod, node: NodeView): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec.nodeSelector ?? {}))
    if (labels[k] !== v) return false;
  const required = (
    pod.spec.affinity as
      | {
          nodeAffinity?: {
            requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: Term[] };
          };
        }
      | undefined
  )?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  const terms = required.nodeSelectorTerms ?? [];
  return terms.some((term) => {
    const exprs = term.matchExpressions ?? [];
    const fields = term.matchFields ?? [];
    if (exprs.length + fields.length === 0) return false;
    return (
      exprs.every((r) => matches(r, labels[r.key])) &&
      fields.every((r) => matches(r, r.key === 'metadata.name' ? node.metadata.name : undefined))
    );
  });
}

function request(c: Container, resource: 'cpu' | 'memory'): number {
  const q = c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource];
  if (q === undefined) return 0;
  return resource === 'cpu' ? milliValue(q) : parseQuantity(q);
}

/** The pod's effective request (init containers and sidecars as the scheduler counts them). */
export function podRequest(pod: Pod, resource: 'cpu' | 'memory'): number {
  let sidecars = 0;
  let initMax = 0;
  for (const c of pod.spec.initContainers ?? []) {
    if (c.restartPolicy === 'Always') sidecars += request(c, resource);
    else initMax = Math.max(initMax, sidecars + request(c, resource));
  }
  const regular = pod.spec.containers.reduce((n, c) => n + request(c, resource), 0);
  const overhead = (pod.spec as { overhead?: Record<string, string> }).overhead?.[resource];
  const extra =
    overhead === undefined
      ? 0
      : resource === 'cpu'
        ? milliValue(overhead)
        : parseQuantity(overhead);
  return Math.max(regular + sidecars, initMax) + extra;
}

const active = (p: Pod): boolean => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

/**
 * Undefined if `pod` fits `node` next to `others` (the pods bound to it), else the
 * FailedScheduling message.
 */
export function unschedulableMessage(pod: Pod, node: NodeView, others: Pod[]): string | undefined {
  const fail = (reasons: string[], preemption: string): string =>
    `0/1 nodes are available: ${reasons.map((r) => `1 ${r}`).join(', ')}. ${preemption}`;
  if (node.spec?.unschedulable) return fail(['node(s) were unschedulable'], noPreemptionHelp);
  for (const t of node.spec?.taints ?? []) {
    if (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') continue;
    if (!tolerated(pod, t))
      return fail([`node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`], noPreemptionHelp);
  }
  if (!affinityMatches(pod, node))
    return fail(["node(s) didn't match Pod's node affinity/selector"], noPreemptionHelp);
  const alloc = node.status?.allocatable ?? {};
  const bound = others.filter((p) => active(p) && p.metadata.uid !== pod.metadata.uid);
  const reasons: string[] = [];
  if (alloc['pods'] !== undefined && bound.length + 1 > parseQuantity(alloc['pods']))
    reasons.push('Too many pods');
  for (const r of ['cpu', 'memory'] as const) {
    const cap = alloc[r];
    if (cap === undefined) continue;
    const capacity = r === 'cpu' ? milliValue(cap) : parseQuantity(cap);
    const want = podRequest(pod, r);
    if (want === 0) continue;
    const used = bound.reduce((n, p) => n + podRequest(p, r), 0);
    if (used + want > capacity) reasons.push(`Insufficient ${r}`);
  }
  if (reasons.length) return fail(reasons.sort(), noVictims);
  return undefined;
}
