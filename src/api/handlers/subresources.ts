/** Subresources with their own shapes: `scale` (autoscaling/v1 Scale), pod `binding`, namespace `finalize`. */
import { BadRequestError, ConflictError } from '../../k8s/errors.ts';
import type { KubeObject } from '../../k8s/types/meta.ts';
import type { Registry, WriteOptions } from '../registry/registry.ts';
import { rfc3339 } from '../registry/object-meta.ts';
import { labelSelectorObjectString } from '../../k8s/selectors/label-selector.ts';

interface Scalable extends KubeObject {
  spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  status?: { replicas?: number };
}

/** The autoscaling/v1 Scale of a deployment or replica set. */
export function toScale(obj: KubeObject): KubeObject {
  const o = obj as Scalable;
  const m = o.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name!,
      namespace: m.namespace!,
      uid: m.uid!,
      resourceVersion: m.resourceVersion!,
      creationTimestamp: m.creationTimestamp ?? null,
    },
    spec: { replicas: o.spec?.replicas ?? 0 },
    status: {
      replicas: o.status?.replicas ?? 0,
      selector: labelSelectorObjectString(o.spec?.selector),
    },
  };
}

/** Writes a new replica count from a Scale object. */
export function updateScale(
  registry: Registry,
  namespace: string,
  name: string,
  scale: KubeObject,
  write: WriteOptions,
): KubeObject {
  const replicas = (scale['spec'] as { replicas?: unknown } | undefined)?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas)) {
    throw new BadRequestError(
      'Scale in version "v1" cannot be handled as a Scale: spec.replicas must be an integer',
    );
  }
  const live = registry.get(namespace, name) as Scalable;
  const rv = scale.metadata.resourceVersion;
  const next = structuredClone(live);
  next.spec = { ...next.spec, replicas };
  if (rv) next.metadata.resourceVersion = rv;
  return registry.update(namespace, name, next, { ...write, subresource: 'scale' });
}

interface PodLike extends KubeObject {
  spec?: { nodeName?: string };
  status?: {
    conditions?: {
      type: string;
      status: string;
      lastTransitionTime?: string | null;
      lastProbeTime?: string | null;
    }[];
  };
}

/** Binds a pod to a node (`pods/<name>/binding`), as the scheduler does. */
export function bindPod(
  registry: Registry,
  namespace: string,
  name: string,
  binding: KubeObject,
  now: number,
): void {
  const target = binding['target'] as { kind?: string; name?: string } | undefined;
  if (!target?.name)
    throw new BadRequestError(
      'Binding in version "v1" cannot be handled as a Binding: target.name is required',
    );
  const pod = structuredClone(registry.get(namespace, name)) as PodLike;
  if (pod.metadata.deletionTimestamp) {
    throw new ConflictError(
      registry.gr,
      name,
      `pod ${name} is being deleted, cannot be assigned to a host`,
    );
  }
  if (pod.spec?.nodeName) {
    throw new ConflictError(
      registry.gr,
      name,
      `pod ${name} is already assigned to node "${pod.spec.nodeName}"`,
    );
  }
  pod.spec = { ...pod.spec, nodeName: target.name };
  registry.update(namespace, name, pod, {
    dryRun: false,
    fieldManager: 'default-scheduler',
    subresource: 'binding',
  });
  const bound = structuredClone(registry.get(namespace, name)) as PodLike;
  const conditions = (bound.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
  conditions.push({
    type: 'PodScheduled',
    status: 'True',
    lastProbeTime: null,
    lastTransitionTime: rfc3339(now),
  });
  bound.status = { ...bound.status, conditions };
  registry.update(namespace, name, bound, {
    dryRun: false,
    fieldManager: 'default-scheduler',
    subresource: 'status',
  });
}

/** `namespaces/<name>/finalize`: replaces only `spec.finalizers`. */
export function finalizeNamespace(
  registry: Registry,
  name: string,
  input: KubeObject,
  write: WriteOptions,
): KubeObject {
  const live = structuredClone(registry.get('', name));
  const finalizers = (input['spec'] as { finalizers?: string[] } | undefined)?.finalizers ?? [];
  live['spec'] = { ...(live['spec'] as object), finalizers };
  return registry.update('', name, live, { ...write, subresource: 'finalize' });
}
