/**
 * How the API server serves one resource: its names for discovery, and the kind-specific
 * behaviour kube-apiserver's registry strategies give it (defaults, validation, status handling,
 * field selectors, server-side printing). One `ResourceDef` per kind lives in `api/resources/`.
 */
import type { FieldError } from '../k8s/field-errors.ts';
import type { KubeObject } from '../k8s/types/meta.ts';

/** A group/version/kind. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** A subresource as discovery advertises it. */
export interface SubresourceDef {
  name: string;
  /** The kind it takes and returns (e.g. autoscaling/v1 Scale); defaults to the parent kind. */
  kind?: GroupVersionKind;
  verbs: string[];
}

/** A column of a server-side printed Table (`meta.k8s.io/v1`). */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  /** 0 = shown by default; 1 = only with `-o wide`. */
  priority: number;
}

/** Server-side printing for one kind. */
export interface TablePrinter {
  columns: TableColumn[];
  /** One row's cells, in column order. `now` is epoch ms, for the Age column. */
  cells(object: KubeObject, now: number): unknown[];
}

/** What kind-specific hooks may need besides the object itself. */
export interface StrategyContext {
  /** Epoch ms. */
  now: number;
  /** Reads another object (e.g. a Service's allocated ClusterIPs, a namespace's phase). */
  get(resource: string, namespace: string, name: string): KubeObject | undefined;
  /** Lists objects of a resource (e.g. to allocate a free ClusterIP). */
  list(resource: string, namespace?: string): KubeObject[];
}

/** How one resource is served. */
export interface ResourceDef {
  group: string;
  version: string;
  /** Plural, lower case (`pods`). */
  resource: string;
  kind: string;
  listKind: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  subresources?: SubresourceDef[];
  /** Whether the kind has a status that only the status subresource may change. */
  hasStatus?: boolean;

  /** Applies kube-apiserver's defaults to a new or updated object (in place). */
  defaults?(object: KubeObject, ctx: StrategyContext): void;
  /** Resets what a create may not set (e.g. status) before validation (in place). */
  prepareForCreate?(object: KubeObject, ctx: StrategyContext): void;
  /** Keeps what a main-resource update may not change (e.g. status) from `old` (in place). */
  prepareForUpdate?(object: KubeObject, old: KubeObject, ctx: StrategyContext): void;
  /** Keeps what a status update may not change (spec, most metadata) from `old` (in place). */
  prepareForStatusUpdate?(object: KubeObject, old: KubeObject, ctx: StrategyContext): void;
  validateCreate?(object: KubeObject, ctx: StrategyContext): FieldError[];
  validateUpdate?(object: KubeObject, old: KubeObject, ctx: StrategyContext): FieldError[];
  validateStatusUpdate?(object: KubeObject, old: KubeObject, ctx: StrategyContext): FieldError[];
  /** Values for field selectors beyond metadata.name/metadata.namespace. */
  fields?(object: KubeObject): Record<string, string>;
  /** Server-side printing; kinds without one print Name + Age. */
  table?: TablePrinter;
}

/** `apps/v1` or `v1`. */
export function groupVersion(def: { group: string; version: string }): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** The store key: `pods`, `deployments.apps`. */
export function storageKey(def: { group: string; resource: string }): string {
  return def.group ? `${def.resource}.${def.group}` : def.resource;
}

/** The standard verbs of a read-write resource. */
export const allVerbs = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];
