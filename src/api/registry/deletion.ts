/**
 * Deletion semantics: graceful deletion for pods (kube-apiserver's CheckGracefulDelete),
 * finalizers that hold an object until they are removed, namespaces that go Terminating first,
 * and preconditions.
 */
import { ConflictError } from '../../k8s/errors.ts';
import type { KubeObject } from '../../k8s/types/meta.ts';
import type { Store } from '../../store/store.ts';
import { rfc3339 } from './object-meta.ts';
import type { Registry } from './registry.ts';

/** `DeleteOptions` as the API server reads them. */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

/** The outcome: the object is gone (`deleted`) or still there, marked for deletion. */
export interface DeleteResult {
  object: KubeObject;
  deleted: boolean;
}

interface PodLike extends KubeObject {
  spec?: { nodeName?: string; terminationGracePeriodSeconds?: number };
  status?: { phase?: string };
}

/** The grace period a pod deletion gets (CheckGracefulDelete). */
export function podGracePeriod(pod: PodLike, requested: number | undefined): number {
  let grace = requested ?? pod.spec?.terminationGracePeriodSeconds ?? 0;
  const phase = pod.status?.phase;
  if (!pod.spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') grace = 0;
  if (grace < 0) grace = 1;
  return grace;
}

function hasFinalizers(obj: KubeObject): boolean {
  if (obj.metadata.finalizers?.length) return true;
  const spec = obj['spec'] as { finalizers?: string[] } | undefined;
  return obj.kind === 'Namespace' && !!spec?.finalizers?.length;
}

/**
 * Removes an object whose deletion was pending once nothing holds it any more (finalizers gone,
 * and for pods a zero grace period). Returns the removed object, or undefined.
 */
export function finishDeletionIfDue(
  store: Store,
  key: string,
  obj: KubeObject,
): KubeObject | undefined {
  const m = obj.metadata;
  if (!m.deletionTimestamp || hasFinalizers(obj)) return undefined;
  if (key === 'pods' && (m.deletionGracePeriodSeconds ?? 0) > 0) return undefined;
  return store.delete(key, m.namespace ?? '', m.name ?? '', {
    preconditions: { uid: m.uid!, resourceVersion: m.resourceVersion! },
  });
}

/** Deletes (or marks for deletion) one object. */
export function deleteObject(
  store: Store,
  registry: Registry,
  namespace: string,
  name: string,
  options: DeleteOptions,
  now: number,
): DeleteResult {
  const key = registry.key;
  const current = registry.get(namespace, name);
  const pre = options.preconditions;
  if (pre?.uid && pre.uid !== current.metadata.uid) {
    throw new ConflictError(
      registry.gr,
      name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid ?? ''}`,
    );
  }
  if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
    throw new ConflictError(
      registry.gr,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion ?? ''}`,
    );
  }
  const isPod = key === 'pods';
  const grace = isPod ? podGracePeriod(current, options.gracePeriodSeconds) : 0;
  const m = current.metadata;
  const pending = grace > 0 || hasFinalizers(current);
  if (pending) {
    if (m.deletionTimestamp && (m.deletionGracePeriodSeconds ?? 0) <= grace) {
      return { object: current, deleted: false }; // a second delete may only shorten the grace
    }
    const marked = structuredClone(current);
    marked.metadata.deletionTimestamp = rfc3339(now + grace * 1000);
    marked.metadata.deletionGracePeriodSeconds = grace;
    if (marked.kind === 'Namespace') {
      marked['status'] = { ...(marked['status'] as object), phase: 'Terminating' };
    }
    if (options.dryRun) return { object: marked, deleted: false };
    const stored = store.update(key, marked, {
      preconditions: { resourceVersion: m.resourceVersion! },
    });
    const done = finishDeletionIfDue(store, key, stored);
    return done ? { object: done, deleted: true } : { object: stored, deleted: false };
  }
  if (options.dryRun) return { object: current, deleted: true };
  const removed = store.delete(key, namespace, name, { preconditions: { uid: m.uid! } });
  return { object: removed, deleted: true };
}
