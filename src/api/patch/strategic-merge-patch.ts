/**
 * Kubernetes strategic merge patch (`application/strategic-merge-patch+json`): a JSON merge
 * patch whose lists merge item by item where {@link schemaForKind} says so, plus the `$patch`,
 * `$retainKeys`, `$setElementOrder/…` and `$deleteFromPrimitiveList/…` directives that
 * `kubectl apply`, `kubectl patch` and `kubectl set` send.
 */
import { BadRequestError } from '../../k8s/errors.ts';
import { applyMergePatch } from './json-merge-patch.ts';
import { cloneJson, goValue, isObject, jsonEqual, type JsonObject } from './json-value.ts';
import { fieldMeta, itemMeta, schemaForKind, type FieldMeta } from './patch-meta.ts';

const directive = '$patch';
const retainKeys = '$retainKeys';
const setOrderPrefix = '$setElementOrder/';
const deletePrefix = '$deleteFromPrimitiveList/';

/** Applies a strategic merge patch to an object of `kind`; unknown kinds get JSON merge patch semantics. */
export function applyStrategicMergePatch(
  original: unknown,
  patch: unknown,
  kind: string | undefined,
): unknown {
  if (!isObject(patch)) {
    const got = Array.isArray(patch) ? 'array' : patch === null ? 'null' : typeof patch;
    throw new BadRequestError(
      `json: cannot unmarshal ${got} into Go value of type map[string]interface {}`,
    );
  }
  const schema = schemaForKind(kind);
  if (!schema) return applyMergePatch(original, patch);
  const base = isObject(original) ? cloneJson(original) : {};
  return mergeMap(base, patch, schema);
}

/** Merges `patch` into `original` (which it mutates and returns) following `meta`. */
export function mergeMap(original: JsonObject, patch: JsonObject, meta: FieldMeta): JsonObject {
  if (Object.hasOwn(patch, directive)) {
    const { [directive]: kind, ...rest } = patch;
    if (kind === 'replace') return mergeMap({}, rest, meta);
    if (kind === 'delete') return {};
    if (kind !== 'merge')
      throw new BadRequestError(`unknown patch type: ${goValue(kind)} in map: ${goValue(patch)}`);
    patch = rest;
  }
  if (Object.hasOwn(patch, retainKeys)) applyRetainKeys(original, patch);
  const orders = new Map<string, unknown[]>();
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(deletePrefix))
      deleteFromPrimitiveList(original, key.slice(deletePrefix.length), value);
    else if (key.startsWith(setOrderPrefix)) {
      if (!Array.isArray(value))
        throw new BadRequestError(`invalid type for ${key}: expected a list`);
      orders.set(key.slice(setOrderPrefix.length), value);
    }
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (value === null) {
      delete original[key];
      continue;
    }
    original[key] = mergeValue(original[key], value, fieldMeta(meta, key), orders.get(key));
  }
  for (const [key, order] of orders) {
    if (Object.hasOwn(patch, key)) continue;
    const current = original[key];
    if (Array.isArray(current)) original[key] = mergeList(current, [], fieldMeta(meta, key), order);
  }
  return original;
}

function mergeValue(
  original: unknown,
  patch: unknown,
  meta: FieldMeta,
  order?: unknown[],
): unknown {
  if (isObject(patch)) return mergeMap(isObject(original) ? original : {}, patch, meta);
  if (Array.isArray(patch)) {
    if (meta.list?.strategy === 'merge')
      return mergeList(Array.isArray(original) ? original : [], patch, meta, order);
    return replaceList(patch, meta);
  }
  return patch;
}

/** A list without a merge strategy: the patch's list, with directives stripped from its items. */
function replaceList(patch: unknown[], meta: FieldMeta): unknown[] {
  return patch.map((item) =>
    isObject(item) ? mergeMap({}, item, itemMeta(meta)) : cloneJson(item),
  );
}

function keyOf(item: unknown, mergeKey: string | undefined): unknown {
  return mergeKey === undefined ? item : isObject(item) ? item[mergeKey] : undefined;
}

function mergeList(
  original: unknown[],
  patch: unknown[],
  meta: FieldMeta,
  order?: unknown[],
): unknown[] {
  const mergeKey = meta.list?.mergeKey;
  const item = itemMeta(meta);
  if (patch.some((p) => isObject(p) && p[directive] === 'replace')) {
    return replaceList(
      patch.filter((p) => !(isObject(p) && p[directive] === 'replace')),
      meta,
    );
  }
  const merged = [...original];
  const patchKeys: unknown[] = [];
  if (mergeKey === undefined) {
    for (const value of patch) {
      if (isObject(value))
        throw new BadRequestError(`cannot merge lists without merge key: ${goValue(value)}`);
      patchKeys.push(value);
      if (!merged.some((m) => jsonEqual(m, value))) merged.push(cloneJson(value));
    }
  } else {
    for (const value of patch) {
      if (!isObject(value))
        throw new BadRequestError(`cannot merge list items that are not maps: ${goValue(value)}`);
      const key = value[mergeKey];
      if (key === undefined)
        throw new BadRequestError(
          `map: ${goValue(value)} does not contain declared merge key: ${mergeKey}`,
        );
      const at = merged.findIndex((m) => jsonEqual(keyOf(m, mergeKey), key));
      if (value[directive] === 'merge')
        throw new BadRequestError('merging lists cannot yet be specified in the patch');
      if (value[directive] !== undefined && value[directive] !== 'delete')
        throw new BadRequestError(
          `unknown patch type: ${goValue(value[directive])} in map: ${goValue(value)}`,
        );
      if (value[directive] === 'delete') {
        for (let i = merged.length - 1; i >= 0; i--)
          if (jsonEqual(keyOf(merged[i], mergeKey), key)) merged.splice(i, 1);
        continue;
      }
      patchKeys.push(key);
      if (at >= 0 && isObject(merged[at])) merged[at] = mergeMap(merged[at], value, item);
      else merged.push(mergeMap({}, value, item));
    }
  }
  const orderKeys = order
    ? order.map((o) => (mergeKey === undefined ? o : isObject(o) ? o[mergeKey] : o))
    : patchKeys;
  return normalizeOrder(
    merged,
    orderKeys,
    original.map((o) => keyOf(o, mergeKey)),
    mergeKey,
  );
}

/**
 * Orders a merged list: items named by the patch (or its `$setElementOrder`) in that order,
 * interleaved with the items only the server had, which keep their places relative to them.
 */
function normalizeOrder(
  merged: unknown[],
  orderKeys: unknown[],
  serverKeys: unknown[],
  mergeKey: string | undefined,
): unknown[] {
  const orderIndex = (v: unknown): number =>
    orderKeys.findIndex((k) => jsonEqual(k, keyOf(v, mergeKey)));
  const serverIndex = (v: unknown): number =>
    serverKeys.findIndex((k) => jsonEqual(k, keyOf(v, mergeKey)));
  const fromPatch = merged
    .filter((v) => orderIndex(v) >= 0)
    .sort((a, b) => orderIndex(a) - orderIndex(b));
  const serverOnly = merged.filter((v) => orderIndex(v) < 0);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < fromPatch.length) {
    if (j >= fromPatch.length) out.push(serverOnly[i++]);
    else if (i >= serverOnly.length) out.push(fromPatch[j++]);
    else {
      const li = serverIndex(serverOnly[i]);
      const ri = serverIndex(fromPatch[j]);
      if (li >= 0 && ri >= 0 && li < ri) out.push(serverOnly[i++]);
      else out.push(fromPatch[j++]);
    }
  }
  return out;
}

function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  const keep = patch[retainKeys];
  if (!Array.isArray(keep))
    throw new BadRequestError(`invalid type for ${retainKeys}: expected a list`);
  for (const [key, value] of Object.entries(patch)) {
    if (value !== null && !key.startsWith('$') && !keep.includes(key))
      throw new BadRequestError('invalid patch format of retainKeys');
  }
  for (const key of Object.keys(original)) if (!keep.includes(key)) delete original[key];
}

function deleteFromPrimitiveList(original: JsonObject, field: string, values: unknown): void {
  if (!Array.isArray(values))
    throw new BadRequestError(`invalid type for ${deletePrefix}${field}: expected a list`);
  const current = original[field];
  if (!Array.isArray(current)) return;
  original[field] = current.filter((v) => !values.some((d) => jsonEqual(d, v)));
}
