/**
 * How server-side apply merges an applied configuration into the live object: objects key by
 * key, keyed lists item by item and sets value by value (both ordered as upstream orders them),
 * atomic fields and other lists replaced whole.
 */
import { cloneJson, isObject, type JsonObject } from './json-value.ts';
import { itemElement } from './object-fields.ts';
import { fieldMeta, itemMeta, type FieldMeta } from './patch-meta.ts';
import { valueElement } from './field-set.ts';

/** Merges applied fields into `target` (mutated and returned); `null` removes a field. */
export function mergeApplied(target: JsonObject, applied: JsonObject, meta: FieldMeta): JsonObject {
  for (const [key, value] of Object.entries(applied)) {
    if (value === null) delete target[key];
    else target[key] = mergeValue(target[key], value, fieldMeta(meta, key));
  }
  return target;
}

function mergeValue(current: unknown, value: unknown, meta: FieldMeta): unknown {
  if (meta.atomic) return cloneJson(value);
  if (isObject(value)) return mergeApplied(isObject(current) ? current : {}, value, meta);
  const list = meta.list;
  if (!Array.isArray(value) || !Array.isArray(current) || !list) return cloneJson(value);
  if (list.listType === 'set') {
    return interleave(current, value, valueElement, (_live, applied) => cloneJson(applied));
  }
  if (list.listType !== 'map') return cloneJson(value);
  return interleave(
    current,
    value,
    (item) => itemElement(item, list) ?? JSON.stringify(item),
    (live, applied) =>
      isObject(live) && isObject(applied)
        ? mergeApplied(live, applied, itemMeta(meta))
        : cloneJson(applied),
  );
}

/**
 * Merges two lists of identified items. Items only the live list has keep their places; items
 * in both follow the applied order; new items go where the applied list puts them.
 */
export function interleave(
  live: unknown[],
  applied: unknown[],
  idOf: (item: unknown) => string,
  merge: (live: unknown, applied: unknown) => unknown,
): unknown[] {
  const liveIds = live.map(idOf);
  const appliedIds = applied.map(idOf);
  const liveById = new Map(liveIds.map((id, i) => [id, live[i]]));
  const appliedSet = new Set(appliedIds);
  const shared = appliedIds.filter((id) => liveById.has(id));
  let nextShared = 0;
  const out: unknown[] = [];
  const emit = (id: string, item: unknown): void => {
    out.push(merge(liveById.get(id), item));
    if (shared[nextShared] === id) nextShared++;
  };
  let l = 0;
  let r = 0;
  while (l < live.length || r < applied.length) {
    const lid = liveIds[l];
    if (lid !== undefined && r < applied.length) {
      if (lid === appliedIds[r]) {
        emit(lid, applied[r]);
        l++;
        r++;
        continue;
      }
      if (appliedSet.has(lid) && shared[nextShared] !== lid) {
        l++;
        continue;
      }
    }
    if (lid !== undefined && !appliedSet.has(lid)) {
      out.push(live[l]);
      l++;
      continue;
    }
    if (r < applied.length) {
      emit(appliedIds[r]!, applied[r]);
      r++;
    } else l++;
  }
  return out;
}
