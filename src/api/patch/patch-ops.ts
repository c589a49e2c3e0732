/**
 * The patch algorithms bundled as the API server's PATCH handler and registry call them
 * (`PatchOps` and `ManagedFieldsUpdater`), plus the apply-body parser.
 */
import { parse as parseYaml } from 'yaml';
import { BadRequestError } from '../../k8s/errors.ts';
import type { KubeObject } from '../../k8s/types/meta.ts';
import type { PatchOps } from '../handlers/patch.ts';
import type { ManagedFieldsUpdater } from '../registry/registry.ts';
import { applyJsonPatch } from './json-patch.ts';
import { applyMergePatch } from './json-merge-patch.ts';
import { isObject } from './json-value.ts';
import { updateManagedFields } from './managed-fields.ts';
import { applyServerSide } from './server-side-apply.ts';
import { applyStrategicMergePatch } from './strategic-merge-patch.ts';

/** Parses an `application/apply-patch+yaml` body (JSON is valid YAML) into an object. */
export function parseApplyPatch(body: string): KubeObject {
  let value: unknown;
  try {
    value = parseYaml(body) as unknown;
  } catch (err: unknown) {
    throw new BadRequestError(
      `error decoding YAML: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (!isObject(value)) throw new BadRequestError('error decoding YAML: the body is not an object');
  if (!isObject(value['metadata'])) value['metadata'] = {};
  return value as KubeObject;
}

/** Applies a merge patch to a stored object; the patch must be a JSON object. */
export function mergePatchObject(original: unknown, patch: unknown): unknown {
  if (!isObject(patch)) throw new BadRequestError('Invalid JSON Patch');
  return applyMergePatch(original, patch);
}

/** The patch algorithms, shaped as the PATCH handler expects them. */
export const patchOps: PatchOps = {
  merge: mergePatchObject,
  strategic: (original, patch, gvk) => applyStrategicMergePatch(original, patch, gvk.kind),
  json: applyJsonPatch,
  apply: (live, applied, options) => applyServerSide(live, applied, options).object,
};

/** Records non-apply writes in `metadata.managedFields`, shaped as the registry expects. */
export const managedFieldsUpdater: ManagedFieldsUpdater = (old, updated, options) =>
  updateManagedFields(old, updated, options);
