/** Naming helpers: a resource key's GroupResource and an object's storage key. */
import type { GroupResource } from '../k8s/errors.ts';

/** `deployments.apps` → `{group: 'apps', resource: 'deployments'}`; `pods` → core group. */
export function groupResourceOf(resource: string): GroupResource {
  const dot = resource.indexOf('.');
  return dot < 0
    ? { group: '', resource }
    : { group: resource.slice(dot + 1), resource: resource.slice(0, dot) };
}

/** The storage key, ordered as etcd orders its keys: `<namespace>/<name>`, or `<name>` when cluster-scoped. */
export function objectKey(namespace: string, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** The exclusive key bounds holding one namespace's objects (`ns/` < key < `ns0`). */
export function namespaceKeyRange(namespace: string): { after: string; before: string } {
  return { after: `${namespace}/`, before: `${namespace}0` };
}
