/** Write-path helpers: object identity, revision stamping, and precondition checks. */
import { BadRequestError, ConflictError } from '../k8s/errors.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import { groupResourceOf } from './resource-key.ts';
import type { Preconditions } from './store.ts';

/** The object's namespace and name; a name is required. */
export function identity(object: KubeObject): { namespace: string; name: string } {
  const name = object.metadata.name;
  if (!name) throw new BadRequestError('name is required to store an object');
  return { namespace: object.metadata.namespace ?? '', name };
}

/** A shallow copy with `metadata.resourceVersion` set. */
export function withRv(object: KubeObject, rv: number): KubeObject {
  return { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
}

/** Throws ConflictError when a precondition does not hold (uid first, as upstream checks). */
export function checkPreconditions(
  resource: string,
  name: string,
  current: KubeObject,
  p: Preconditions,
): void {
  const gr = groupResourceOf(resource);
  if (p.uid !== undefined && p.uid !== current.metadata.uid) {
    throw new ConflictError(
      gr,
      name,
      `Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${current.metadata.uid ?? ''}`,
    );
  }
  if (p.resourceVersion !== undefined && p.resourceVersion !== current.metadata.resourceVersion) {
    throw new ConflictError(gr, name);
  }
}
