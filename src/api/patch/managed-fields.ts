/**
 * `metadata.managedFields`: decoding entries into field sets, recording non-apply writes
 * (create, update, merge/strategic/JSON patches) as `Update` operations, and encoding the
 * entries back in upstream's order with upstream's timestamps.
 */
import type { KubeObject, ManagedFieldsEntry } from '../../k8s/types/meta.ts';
import { FieldSet, type FieldPath } from './field-set.ts';
import { compareFields, fieldsOf, trackedView } from './object-fields.ts';
import { schemaForKind, type FieldMeta } from './patch-meta.ts';

/**
 * Paths that exist (as empty structs) in a freshly created object upstream, so a create does not
 * count them as added: their own `.` never appears in an Update entry.
 */
const skeleton: FieldPath[] = [
  ['f:metadata'],
  ['f:spec'],
  ['f:status'],
  ['f:spec', 'f:containers'],
  ['f:spec', 'f:strategy'],
  ['f:spec', 'f:template'],
  ['f:spec', 'f:template', 'f:metadata'],
  ['f:spec', 'f:template', 'f:spec'],
  ['f:spec', 'f:template', 'f:spec', 'f:containers'],
];

/** One manager's entry with its decoded field set. */
export interface ManagerEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  set: FieldSet;
  /** Whether this write renews the entry's `time` (the manager changed the object or its set). */
  touched?: boolean;
}

/** Options of a non-apply write. */
export interface UpdateOptions {
  manager: string;
  operation?: 'Update';
  apiVersion: string;
  /** Milliseconds since the epoch. */
  now: number;
  subresource?: string;
}

/** RFC 3339 with whole seconds, as managedFields times are written. */
export function rfc3339Seconds(now: number): string {
  return new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The metadata for an object's kind (empty when podbay does not know the kind). */
export function metaFor(obj: KubeObject | undefined): FieldMeta {
  return schemaForKind(obj?.kind) ?? {};
}

/** Decodes `metadata.managedFields` of an object. */
export function decodeManagedFields(obj: KubeObject | undefined): ManagerEntry[] {
  const list = obj?.metadata.managedFields ?? [];
  return list.map((e) => ({
    manager: e.manager ?? '',
    operation: e.operation ?? 'Update',
    apiVersion: e.apiVersion ?? '',
    ...(e.time ? { time: e.time } : {}),
    ...(e.subresource ? { subresource: e.subresource } : {}),
    set: FieldSet.fromFieldsV1(e.fieldsV1),
  }));
}

/** Whether `e` is the entry a manager writes to (`apiVersion` only distinguishes updaters). */
export function sameManager(
  e: ManagerEntry,
  manager: string,
  operation: 'Apply' | 'Update',
  apiVersion: string,
  subresource: string | undefined,
): boolean {
  return (
    e.manager === manager &&
    e.operation === operation &&
    (e.subresource ?? '') === (subresource ?? '') &&
    (operation === 'Apply' || e.apiVersion === apiVersion)
  );
}

/** Encodes entries: empty sets dropped, `Apply` before `Update`, then by time and manager. */
export function encodeManagedFields(entries: ManagerEntry[], now: number): ManagedFieldsEntry[] {
  const time = rfc3339Seconds(now);
  return entries
    .filter((e) => !e.set.isEmpty())
    .map((e) => ({ ...e, time: e.touched || !e.time ? time : e.time }))
    .sort(
      (a, b) =>
        cmp(a.operation, b.operation) ||
        cmp(a.time, b.time) ||
        cmp(a.manager, b.manager) ||
        cmp(a.apiVersion, b.apiVersion) ||
        cmp(a.subresource ?? '', b.subresource ?? ''),
    )
    .map((e) => ({
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      time: e.time,
      fieldsType: 'FieldsV1' as const,
      fieldsV1: e.set.toFieldsV1(),
      ...(e.subresource ? { subresource: e.subresource } : {}),
    }));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Computes `metadata.managedFields` after a non-apply write from `old` (undefined on create) to
 * `updated`: the writer gains the fields it added or changed (and its entry's time is renewed),
 * every manager loses the fields that were removed, and others lose the fields the writer changed.
 */
export function updateManagedFields(
  old: KubeObject | undefined,
  updated: KubeObject,
  options: UpdateOptions,
): ManagedFieldsEntry[] {
  const meta = metaFor(updated.kind ? updated : old);
  // As upstream: managedFields the writer sent (e.g. kubectl's client-side-apply migration) win;
  // an absent or empty list keeps the stored ones.
  const sent = updated.metadata.managedFields;
  const entries = decodeManagedFields(Array.isArray(sent) && sent.length > 0 ? updated : old);
  const { changed, removed } = compareFields(
    trackedView(old, options.subresource),
    trackedView(updated, options.subresource),
    meta,
  );
  if (!old) for (const path of skeleton) changed.demote(path);
  const lost = changed.union(removed);
  for (const e of entries) e.set = e.set.difference(lost);
  if (!changed.isEmpty()) {
    let mine = entries.find((e) =>
      sameManager(e, options.manager, 'Update', options.apiVersion, options.subresource),
    );
    if (!mine) {
      mine = {
        manager: options.manager,
        operation: 'Update',
        apiVersion: options.apiVersion,
        set: new FieldSet(),
        ...(options.subresource ? { subresource: options.subresource } : {}),
      };
      entries.push(mine);
    }
    mine.set = mine.set.union(changed);
    mine.touched = true;
  }
  return encodeManagedFields(entries, options.now);
}

/** The fields an object sets, as tracked for `subresource` (or the main resource). */
export function trackedFields(obj: KubeObject | undefined, subresource?: string): FieldSet {
  return fieldsOf(trackedView(obj, subresource), metaFor(obj));
}
