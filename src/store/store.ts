/**
 * The object store interface: Kubernetes objects by resource, namespace and name, with a global,
 * strictly increasing resourceVersion (as etcd's revision), list with selectors and paging, and
 * watch with replay from a bounded change log. The store knows nothing of kinds' semantics
 * (defaults, validation, uid, timestamps): the API layer does that, the store keeps objects.
 *
 * All methods are synchronous: better-sqlite3 is, and a single-threaded daemon gets atomic
 * read-modify-write for free. Errors are the classes of `k8s/errors.ts`.
 */
import type { KubeObject } from '../k8s/types/meta.ts';

/**
 * A resource's storage name: the plural resource, qualified by group for non-core groups
 * (`pods`, `deployments.apps`, `jobs.batch`). Used in error messages too.
 */
export type ResourceKey = string;

/** Fields a field selector can match, computed per object by the API layer. */
export type FieldsOf = (obj: KubeObject) => Record<string, string>;

/** Options for {@link Store.list}. */
export interface StoreListOptions {
  /** Only this namespace; undefined = all namespaces. */
  namespace?: string;
  /** A label selector string (`app=web,tier in (a,b),!canary`). */
  labelSelector?: string;
  /** A field selector string (`metadata.name=web,status.phase!=Running`). */
  fieldSelector?: string;
  /** How to compute an object's selectable fields; `metadata.name`/`metadata.namespace` always work. */
  fieldsOf?: FieldsOf;
  /** Page size; 0/undefined = everything. */
  limit?: number;
  /** Continue token from a previous page. */
  continue?: string;
  /**
   * Kubernetes list semantics: unset or "" = most recent; "0" = any (we serve most recent);
   * with resourceVersionMatch=Exact, a past revision is not kept (410) unless it is the current one.
   */
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

/** One page of a list. */
export interface StoreListResult {
  items: KubeObject[];
  /** The store revision the list reflects. */
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/** Preconditions for update and delete. */
export interface Preconditions {
  resourceVersion?: string;
  uid?: string;
}

/** A change, as delivered to watchers. `object.metadata.resourceVersion` is the change's revision. */
export interface StoreEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
  /** For MODIFIED: the object before the change (lets a filtered watch send ADDED/DELETED). */
  previous?: KubeObject;
}

/** Options for {@link Store.watch}. */
export interface StoreWatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  fieldsOf?: FieldsOf;
  /**
   * Replay changes after this revision first. Unset, "" or "0": start with synthetic ADDED events
   * for every current match, then changes. Older than the change log keeps: throws GoneError.
   */
  resourceVersion?: string;
}

/** A running watch. */
export interface StoreWatcher {
  stop(): void;
}

export interface Store {
  /** The newest revision (as a decimal string). */
  currentResourceVersion(): string;
  get(resource: ResourceKey, namespace: string, name: string): KubeObject | undefined;
  list(resource: ResourceKey, options?: StoreListOptions): StoreListResult;
  /** Stores a new object; sets metadata.resourceVersion. Throws AlreadyExistsError. */
  create(resource: ResourceKey, object: KubeObject): KubeObject;
  /**
   * Replaces an existing object. Throws NotFoundError, or ConflictError when `preconditions`
   * (or, if given, `object.metadata.resourceVersion` when `checkResourceVersion`) is stale.
   */
  update(
    resource: ResourceKey,
    object: KubeObject,
    options?: { preconditions?: Preconditions },
  ): KubeObject;
  /**
   * Reads, transforms and writes in one step. `fn` gets the current object (throws NotFoundError
   * if absent) and returns the new one, or the same object to write nothing.
   */
  guaranteedUpdate(
    resource: ResourceKey,
    namespace: string,
    name: string,
    fn: (current: KubeObject) => KubeObject,
  ): KubeObject;
  /** Removes an object; returns it as last stored (with the deletion's revision). */
  delete(
    resource: ResourceKey,
    namespace: string,
    name: string,
    options?: { preconditions?: Preconditions },
  ): KubeObject;
  /** Subscribes to changes; replays first (see options). Listener errors are logged, not thrown. */
  watch(
    resource: ResourceKey,
    options: StoreWatchOptions,
    listener: (event: StoreEvent) => void,
  ): StoreWatcher;
  /** Number of live watchers (metrics, tests). */
  watcherCount(): number;
  close(): void;
}
