/**
 * Walks objects with their patch metadata to find the field paths server-side apply tracks:
 * the set of fields an object sets, the fields that changed between two versions, and the
 * removal of one field path.
 */
import { FieldSet, fieldElement, keyElement, valueElement, type FieldPath } from './field-set.ts';
import { cloneJson, isObject, jsonEqual, type JsonObject } from './json-value.ts';
import { fieldMeta, itemMeta, type FieldMeta, type ListMeta } from './patch-meta.ts';

/** `metadata` fields the server owns, never tracked in managedFields. */
const untrackedMeta = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
];

/** The part of an object whose fields are tracked for a write to the main resource or `subresource`. */
export function trackedView(obj: JsonObject | undefined, subresource?: string): JsonObject {
  if (!obj) return {};
  if (subresource === 'status')
    return obj['status'] === undefined ? {} : { status: cloneJson(obj['status']) };
  const { apiVersion: _a, kind: _k, status: _s, metadata, ...rest } = cloneJson(obj);
  if (isObject(metadata)) {
    const meta = { ...metadata };
    for (const key of untrackedMeta) delete meta[key];
    if (Object.keys(meta).length > 0) rest['metadata'] = meta;
  }
  return rest;
}

/** The `k:` element of a keyed list item, with key defaults filled in; `undefined` when unkeyed. */
export function itemElement(item: unknown, list: ListMeta): string | undefined {
  if (!isObject(item) || !list.keys) return undefined;
  const keys: JsonObject = {};
  for (const k of list.keys) {
    const v = item[k] ?? list.keyDefaults?.[k];
    if (v !== undefined) keys[k] = v;
  }
  return Object.keys(keys).length > 0 ? keyElement(keys) : undefined;
}

/** How the items of a list value are identified: by key, by value, or not at all (atomic). */
function listKind(meta: FieldMeta): 'map' | 'set' | 'atomic' {
  return meta.list?.listType ?? 'atomic';
}

/** The elements naming each item of a list (or `undefined` for an atomic list). */
function itemElements(list: unknown[], meta: FieldMeta): (string | undefined)[] | undefined {
  const kind = listKind(meta);
  if (kind === 'atomic') return undefined;
  if (kind === 'set')
    return list.map((v) => (isObject(v) || Array.isArray(v) ? undefined : valueElement(v)));
  return list.map((v) => itemElement(v, meta.list!));
}

/**
 * Adds the fields `value` sets, under `prefix`, to `set`. Apply-style sets (`allNodes` false) hold
 * leaves and list items; sets of added or removed subtrees (`allNodes` true) hold every node.
 */
export function collectFields(
  set: FieldSet,
  value: unknown,
  meta: FieldMeta,
  prefix: FieldPath = [],
  allNodes = false,
): void {
  const here = prefix.length > 0;
  if ((meta.atomic && here) || (!isObject(value) && !Array.isArray(value))) {
    if (here) set.insert(prefix);
    return;
  }
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (here && (allNodes || keys.length === 0)) set.insert(prefix);
    for (const k of keys) {
      collectFields(set, value[k], fieldMeta(meta, k), [...prefix, fieldElement(k)], allNodes);
    }
    return;
  }
  const els = itemElements(value, meta);
  if (!els || els.some((e) => e === undefined) || value.length === 0 || allNodes) {
    if (here) set.insert(prefix);
    if (!els || els.some((e) => e === undefined)) return;
  }
  value.forEach((item, i) => {
    const path = [...prefix, els[i]!];
    set.insert(path);
    if (listKind(meta) === 'map') collectFields(set, item, itemMeta(meta), path, allNodes);
  });
}

/** The set of fields `value` sets. */
export function fieldsOf(value: unknown, meta: FieldMeta): FieldSet {
  const set = new FieldSet();
  collectFields(set, value, meta);
  return set;
}

/** The fields added or changed (`changed`) and removed (`removed`) going from `before` to `after`. */
export function compareFields(
  before: unknown,
  after: unknown,
  meta: FieldMeta,
): { changed: FieldSet; removed: FieldSet } {
  const out = { changed: new FieldSet(), removed: new FieldSet() };
  compareInto(out, before, after, meta, []);
  return out;
}

type Diff = { changed: FieldSet; removed: FieldSet };

function compareInto(
  out: Diff,
  before: unknown,
  after: unknown,
  meta: FieldMeta,
  path: FieldPath,
): void {
  if (before === undefined && after === undefined) return;
  if (before === undefined) return collectFields(out.changed, after, meta, path, true);
  if (after === undefined) return collectFields(out.removed, before, meta, path, true);
  if (meta.atomic && path.length > 0) {
    if (!jsonEqual(before, after)) out.changed.insert(path);
    return;
  }
  if (isObject(before) && isObject(after)) {
    const emptied = Object.keys(after).length === 0 && Object.keys(before).length > 0;
    if (path.length > 0 && !meta.map && emptied) out.changed.insert(path);
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
      compareInto(out, before[k], after[k], fieldMeta(meta, k), [...path, fieldElement(k)]);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const be = itemElements(before, meta);
    const ae = itemElements(after, meta);
    if (be && ae && !be.includes(undefined) && !ae.includes(undefined)) {
      const kind = listKind(meta);
      for (const [i, el] of ae.entries()) {
        const j = be.indexOf(el);
        if (j < 0)
          collectFields(
            out.changed,
            after[i],
            kind === 'map' ? itemMeta(meta) : {},
            [...path, el!],
            true,
          );
        else if (kind === 'map')
          compareInto(out, before[j], after[i], itemMeta(meta), [...path, el!]);
      }
      for (const [j, el] of be.entries()) {
        if (!ae.includes(el)) {
          out.removed.insert([...path, el!]);
          if (kind === 'map')
            collectFields(out.removed, before[j], itemMeta(meta), [...path, el!], true);
        }
      }
      return;
    }
  }
  if (!jsonEqual(before, after)) {
    if (isObject(before) || Array.isArray(before))
      collectFields(out.removed, before, meta, path, true);
    collectFields(out.changed, after, meta, path, true);
  }
}

/**
 * Removes the field at `path` from `obj` (mutating it). Parent objects and lists the removal
 * leaves empty go too; their paths are returned.
 */
export function removeField(obj: JsonObject, path: FieldPath, meta: FieldMeta): FieldPath[] {
  const cleaned: FieldPath[] = [];
  removeAt(obj, path, meta, [], cleaned);
  return cleaned;
}

function removeAt(
  container: unknown,
  path: FieldPath,
  meta: FieldMeta,
  prefix: FieldPath,
  cleaned: FieldPath[],
): boolean {
  const [el, ...rest] = path;
  if (el === undefined) return false;
  const here = [...prefix, el];
  if (el.startsWith('f:') && isObject(container)) {
    const name = el.slice(2);
    if (!Object.hasOwn(container, name)) return false;
    if (rest.length === 0) {
      delete container[name];
      return true;
    }
    const child = container[name];
    const removed = removeAt(child, rest, fieldMeta(meta, name), here, cleaned);
    const empty =
      (isObject(child) && Object.keys(child).length === 0) ||
      (Array.isArray(child) && child.length === 0);
    if (removed && empty) {
      delete container[name];
      cleaned.push(here);
    }
    return removed;
  }
  if (Array.isArray(container)) {
    const els = itemElements(container, meta) ?? [];
    const i = els.indexOf(el);
    if (i < 0) return false;
    if (rest.length === 0) {
      container.splice(i, 1);
      return true;
    }
    return removeAt(container[i], rest, itemMeta(meta), here, cleaned);
  }
  return false;
}
