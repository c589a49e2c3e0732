/**
 * Server-side apply (`application/apply-patch+yaml`): merges an applied configuration into the
 * live object (or creates it), tracks what each manager owns in `metadata.managedFields`,
 * refuses to change fields another manager owns unless forced, and removes fields this
 * manager applied before but no longer does (unless someone else owns them too).
 */
import { BadRequestError, ConflictError } from '../../k8s/errors.ts';
import type { StatusCause } from '../../k8s/status.ts';
import type { KubeObject, ManagedFieldsEntry } from '../../k8s/types/meta.ts';
import { FieldSet, pathString, type FieldPath } from './field-set.ts';
import { cloneJson, type JsonObject } from './json-value.ts';
import {
  decodeManagedFields,
  encodeManagedFields,
  metaFor,
  sameManager,
  trackedFields,
  type ManagerEntry,
} from './managed-fields.ts';
import { mergeApplied } from './apply-merge.ts';
import { compareFields, fieldsOf, removeField, trackedView } from './object-fields.ts';

/** Options of one apply request. */
export interface ApplyOptions {
  manager: string;
  force: boolean;
  /** The group/version the request used (`v1`, `apps/v1`). */
  apiVersion: string;
  /** Milliseconds since the epoch. */
  now: number;
  subresource?: string;
}

/** The applied object and its new managedFields (also set on the object). */
export interface ApplyResult {
  object: KubeObject;
  managedFields: ManagedFieldsEntry[];
}

/** The manager upstream charges with the fields of an object that has no managedFields yet. */
export const beforeFirstApply = 'before-first-apply';

/** Server-side applies `applied` onto `live` (undefined: create) for `options.manager`. */
export function applyServerSide(
  live: KubeObject | undefined,
  applied: KubeObject,
  options: ApplyOptions,
): ApplyResult {
  if (applied.metadata.managedFields != null)
    throw new BadRequestError('metadata.managedFields must be nil');
  const sub = options.subresource;
  const meta = metaFor(applied.kind ? applied : live);
  const appliedView = trackedView(applied, sub);
  const appliedSet = fieldsOf(appliedView, meta);

  const entries = decodeManagedFields(live);
  if (live && entries.length === 0) {
    const all = trackedFields(live);
    if (!all.isEmpty())
      entries.push({
        manager: beforeFirstApply,
        operation: 'Update',
        apiVersion: options.apiVersion,
        set: all,
        touched: true,
      });
  }
  let mine = entries.find((e) => sameManager(e, options.manager, 'Apply', '', sub));
  const others = entries.filter((e) => e !== mine);

  const merged = live ? cloneJson(live) : newObject(applied);
  mergeApplied(merged, appliedView, meta);
  // A resourceVersion in the applied configuration is a precondition the registry checks.
  const expectedVersion = applied.metadata.resourceVersion;
  if (live && expectedVersion)
    (merged['metadata'] as JsonObject)['resourceVersion'] = expectedVersion;

  const othersSet = others.reduce((acc, e) => acc.union(e.set), new FieldSet());
  const stale = (mine?.set ?? new FieldSet()).difference(appliedSet);
  const cleaned = new FieldSet();
  for (const path of stale.paths()) {
    if (othersSet.hasPrefix(path) || isItemKey(path)) continue;
    for (const parent of removeField(merged, path, meta)) cleaned.insert(parent);
  }

  const { changed, removed } = compareFields(
    trackedView(live, sub),
    trackedView(merged, sub),
    meta,
  );
  // Parents emptied by pruning are not the applier's change to anyone else's fields.
  const touched = changed.union(removed.difference(cleaned));
  const conflicts: { entry: ManagerEntry; path: FieldPath }[] = [];
  for (const e of others) {
    for (const path of e.set.intersection(touched).paths()) conflicts.push({ entry: e, path });
  }
  if (conflicts.length > 0) {
    if (!options.force) throw applyConflict(conflicts);
    for (const e of others) e.set = e.set.difference(touched);
  }

  if (!mine) {
    mine = {
      manager: options.manager,
      operation: 'Apply',
      apiVersion: options.apiVersion,
      set: appliedSet,
      touched: true,
      ...(sub ? { subresource: sub } : {}),
    };
    entries.push(mine);
  } else {
    if (
      !touched.isEmpty() ||
      !mine.set.equals(appliedSet) ||
      mine.apiVersion !== options.apiVersion
    )
      mine.touched = true;
    mine.set = appliedSet;
    mine.apiVersion = options.apiVersion;
  }
  const managedFields = encodeManagedFields(entries, options.now);
  const object = merged as KubeObject;
  if (managedFields.length > 0) object.metadata.managedFields = managedFields;
  else delete object.metadata.managedFields;
  return { object, managedFields };
}

/** Whether `path` names a key field of a keyed list item (`…k:{"name":"a"}/f:name`), kept while the item is. */
function isItemKey(path: FieldPath): boolean {
  const item = path.at(-2);
  const field = path.at(-1);
  if (!item?.startsWith('k:') || !field?.startsWith('f:')) return false;
  return Object.hasOwn(JSON.parse(item.slice(2)) as object, field.slice(2));
}

/** The skeleton of an object created by apply: its type and identity from the applied config. */
function newObject(applied: KubeObject): JsonObject {
  const { name, namespace, generateName } = applied.metadata;
  return {
    ...(applied.apiVersion ? { apiVersion: applied.apiVersion } : {}),
    ...(applied.kind ? { kind: applied.kind } : {}),
    metadata: {
      ...(name !== undefined ? { name } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
      ...(generateName !== undefined ? { generateName } : {}),
    },
  };
}

function describeManager(e: ManagerEntry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  return e.operation === 'Update' ? `${s} using ${e.apiVersion}` : s;
}

/** The 409 kube-apiserver returns when an apply would change fields other managers own. */
function applyConflict(conflicts: { entry: ManagerEntry; path: FieldPath }[]): ConflictError {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describeManager(c.entry)}`,
    field: pathString(c.path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    message = `Apply failed with 1 conflict: conflict with ${describeManager(c.entry)}: ${pathString(c.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const key = describeManager(c.entry);
      byManager.set(key, [...(byManager.get(key) ?? []), pathString(c.path)]);
    }
    const lines: string[] = [];
    for (const key of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${key}:`, ...byManager.get(key)!.map((p) => `- ${p}`));
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ConflictError({ group: '', resource: '' }, '', message, causes);
}
