/**
 * The size of a memory-backed (tmpfs) volume, as the kubelet picks it: the node's memory, lowered
 * to the pod's memory limit when every container has one, lowered again to the volume's
 * `sizeLimit` when it is set.
 */
import type { IntOrString, Pod } from '../../k8s/types/pod.ts';
import { parseQuantity } from './quantity.ts';

/** The pod's effective memory limit in bytes, if every container has one. */
export function podMemoryLimit(pod: Pod): number | undefined {
  const limit = (c: {
    resources?: { limits?: Record<string, IntOrString> };
  }): number | undefined => {
    const q = c.resources?.limits?.['memory'];
    return q === undefined ? undefined : parseQuantity(q);
  };
  const inits = pod.spec.initContainers ?? [];
  const long = [...pod.spec.containers, ...inits.filter((c) => c.restartPolicy === 'Always')];
  let sum = 0;
  for (const c of long) {
    const l = limit(c);
    if (l === undefined) return undefined;
    sum += l;
  }
  let max = sum;
  for (const c of inits.filter((x) => x.restartPolicy !== 'Always')) {
    const l = limit(c);
    if (l === undefined) return undefined;
    max = Math.max(max, l);
  }
  return max > 0 ? max : undefined;
}

/** tmpfs size in bytes for a memory-backed volume of the pod. */
export function memoryVolumeSize(
  pod: Pod,
  nodeMemory: IntOrString,
  sizeLimit?: IntOrString,
): number {
  let size = parseQuantity(nodeMemory);
  const podLimit = podMemoryLimit(pod);
  if (podLimit !== undefined && podLimit < size) size = podLimit;
  if (sizeLimit !== undefined) {
    const s = parseQuantity(sizeLimit);
    if (s > 0 && s < size) size = s;
  }
  return Math.ceil(size);
}
