/**
 * PATCH: picks the patch type from the Content-Type, applies it to the live object (or, for
 * server-side apply, creates the object), and hands the result to the registry's update path.
 */
import { BadRequestError, UnsupportedMediaTypeError, isNotFound } from '../../k8s/errors.ts';
import type { KubeObject } from '../../k8s/types/meta.ts';
import type { ApiRequest } from '../http-types.ts';
import type { Registry, WriteOptions } from '../registry/registry.ts';
import { groupVersion, type GroupVersionKind } from '../resource-def.ts';
import { decodeObject, parseBody, type BodyDecoding } from '../request-body.ts';

/** The patch algorithms (api/patch), as the handler calls them. */
export interface PatchOps {
  merge(original: unknown, patch: unknown): unknown;
  strategic(original: KubeObject, patch: unknown, gvk: GroupVersionKind): unknown;
  json(original: unknown, operations: unknown): unknown;
  apply(
    live: KubeObject | undefined,
    applied: KubeObject,
    options: {
      manager: string;
      force: boolean;
      apiVersion: string;
      now: number;
      subresource?: string;
    },
  ): KubeObject;
}

const patchTypes =
  'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json, application/apply-patch+cbor';

/** Applies a PATCH request; returns the stored object and whether it was created. */
export function applyPatchRequest(
  req: ApiRequest,
  registry: Registry,
  namespace: string,
  name: string,
  write: WriteOptions,
  ops: PatchOps,
  decoding: BodyDecoding,
  now: number,
  expected: GroupVersionKind,
): { object: KubeObject; created: boolean; warnings: string[] } {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/apply-patch+yaml') {
    if (!req.query.get('fieldManager')) {
      throw new BadRequestError('fieldManager is required for apply requests');
    }
    const body = decodeObject(req, expected, decoding, parseBody(req, expected, decoding, true));
    body.object.metadata.name ??= name;
    if (body.object.metadata.name !== name) {
      throw new BadRequestError(
        `the name of the object (${body.object.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    let live: KubeObject | undefined;
    try {
      live = registry.get(namespace, name);
    } catch (err: unknown) {
      if (!isNotFound(err) || write.subresource) throw err;
    }
    const merged = ops.apply(live, body.object, {
      manager: write.fieldManager,
      force: req.query.get('force') === 'true',
      apiVersion: groupVersion(registry.def),
      now,
      ...(write.subresource ? { subresource: write.subresource } : {}),
    });
    if (!live)
      return {
        object: registry.create(namespace, merged, write, true),
        created: true,
        warnings: body.warnings,
      };
    return {
      object: registry.update(namespace, name, merged, write, true),
      created: false,
      warnings: body.warnings,
    };
  }
  const live = registry.get(namespace, name);
  let patch: unknown;
  try {
    patch = JSON.parse((req.body ?? Buffer.alloc(0)).toString('utf8'));
  } catch (err: unknown) {
    throw new BadRequestError(
      `error decoding patch: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  let patched: unknown;
  if (type === 'application/merge-patch+json') patched = ops.merge(live, patch);
  else if (type === 'application/strategic-merge-patch+json')
    patched = ops.strategic(live, patch, expected);
  else if (type === 'application/json-patch+json') patched = ops.json(live, patch);
  else throw new UnsupportedMediaTypeError(patchTypes);
  const decoded = decodeObject(req, expected, decoding, patched);
  if (!decoded.object.metadata.resourceVersion)
    decoded.object.metadata.resourceVersion = live.metadata.resourceVersion!;
  return {
    object: registry.update(namespace, name, decoded.object, write),
    created: false,
    warnings: decoded.warnings,
  };
}
