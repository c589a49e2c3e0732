/**
 * The object store on SQLite (better-sqlite3, WAL, one file): objects as JSON text keyed by
 * resource and etcd-ordered key, a global revision counter, and a bounded change log that
 * feeds watch replay, past-revision lists and continue tokens.
 */
import type Database from 'better-sqlite3';
import {
  AlreadyExistsError,
  GoneError,
  InternalError,
  NotFoundError,
  TimeoutError,
} from '../k8s/errors.ts';
import { checkPreconditions, identity, withRv } from './object-writes.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import { nullLogger, type Logger } from '../lib/log.ts';
import { listObjects, parseResourceVersion } from './list-objects.ts';
import { buildObjectFilter } from './object-filter.ts';
import { groupResourceOf, namespaceKeyRange, objectKey } from './resource-key.ts';
import {
  openDatabase,
  prepareStatements,
  type ChangeRow,
  type Statements,
} from './sqlite-schema.ts';
import { parseChange, WatchHub, type Watcher } from './watch-hub.ts';
import type {
  Preconditions,
  ResourceKey,
  Store,
  StoreEvent,
  StoreListOptions,
  StoreListResult,
  StoreWatcher,
  StoreWatchOptions,
} from './store.ts';

/** Options for {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** How many changes the log keeps for watch replay and paging (default 10000, minimum 1). */
  changeLogSize?: number;
  log?: Logger;
}

/** {@link Store} on one SQLite file (or `:memory:`). */
export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #s: Statements;
  readonly #log: Logger;
  readonly #hub: WatchHub;
  readonly #changeLogSize: number;
  readonly #inTransaction: <T>(fn: () => T) => T;
  #rv: number;
  #compactedRv: number;
  #pending: ChangeRow[] = [];
  #depth = 0;
  #closed = false;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.#log = options.log ?? nullLogger;
    this.#changeLogSize = Math.max(1, Math.floor(options.changeLogSize ?? 10000));
    this.#db = openDatabase(path);
    this.#s = prepareStatements(this.#db);
    this.#hub = new WatchHub(this.#log);
    const txn = this.#db.transaction((fn: () => unknown) => fn());
    this.#inTransaction = <T>(fn: () => T): T => txn(fn) as T;
    const s = this.#s;
    this.#compactedRv = s.getMeta.get('compacted_rv')?.value ?? 0;
    this.#rv = Math.max(
      this.#compactedRv,
      s.getMeta.get('rv')?.value ?? 0,
      s.maxChangeRv.get()?.rv ?? 0,
      s.maxObjectRv.get()?.rv ?? 0,
    );
    this.#log.debug('Store opened', { path, resourceVersion: this.#rv });
  }

  /** {@inheritDoc Store.currentResourceVersion} */
  currentResourceVersion(): string {
    return String(this.#rv);
  }

  /** {@inheritDoc Store.get} */
  get(resource: ResourceKey, namespace: string, name: string): KubeObject | undefined {
    const row = this.#s.get.get(resource, objectKey(namespace, name));
    return row ? (JSON.parse(row.data) as KubeObject) : undefined;
  }

  /** {@inheritDoc Store.list} */
  list(resource: ResourceKey, options: StoreListOptions = {}): StoreListResult {
    return listObjects(
      { statements: this.#s, currentRv: this.#rv, compactedRv: this.#compactedRv },
      resource,
      options,
    );
  }

  /** {@inheritDoc Store.create} */
  create(resource: ResourceKey, object: KubeObject): KubeObject {
    const { namespace, name } = identity(object);
    const key = objectKey(namespace, name);
    return this.#write(() => {
      const rv = this.#rv + 1;
      const stored = withRv(object, rv);
      const text = JSON.stringify(stored);
      if (this.#s.insert.run(resource, key, rv, text).changes === 0)
        throw new AlreadyExistsError(groupResourceOf(resource), name);
      this.#record({ rv, resource, key, type: 'ADDED', data: text, prev: null });
      return stored;
    });
  }

  /** {@inheritDoc Store.update} */
  update(
    resource: ResourceKey,
    object: KubeObject,
    options: { preconditions?: Preconditions } = {},
  ): KubeObject {
    const { namespace, name } = identity(object);
    const key = objectKey(namespace, name);
    return this.#write(() => {
      const prev = this.#s.get.get(resource, key)?.data;
      if (prev === undefined) throw new NotFoundError(groupResourceOf(resource), name);
      if (options.preconditions)
        checkPreconditions(resource, name, JSON.parse(prev) as KubeObject, options.preconditions);
      return this.#replace(resource, key, object, prev);
    });
  }

  /** {@inheritDoc Store.guaranteedUpdate} */
  guaranteedUpdate(
    resource: ResourceKey,
    namespace: string,
    name: string,
    fn: (current: KubeObject) => KubeObject,
  ): KubeObject {
    const key = objectKey(namespace, name);
    return this.#write(() => {
      for (;;) {
        const prev = this.#s.get.get(resource, key)?.data;
        if (prev === undefined) throw new NotFoundError(groupResourceOf(resource), name);
        const current = JSON.parse(prev) as KubeObject;
        const rvBefore = this.#rv;
        const next = fn(current);
        if (this.#rv !== rvBefore) {
          // fn wrote through the store itself; retry on what is stored now, as upstream does.
          const now = this.#s.get.get(resource, key)?.data;
          if (now !== prev) continue;
        }
        if (next === current) return current;
        const fixed = { ...next, metadata: { ...next.metadata, name } };
        if (namespace) fixed.metadata.namespace = namespace;
        return this.#replace(resource, key, fixed, prev);
      }
    });
  }

  /** {@inheritDoc Store.delete} */
  delete(
    resource: ResourceKey,
    namespace: string,
    name: string,
    options: { preconditions?: Preconditions } = {},
  ): KubeObject {
    const key = objectKey(namespace, name);
    return this.#write(() => {
      const prev = this.#s.get.get(resource, key)?.data;
      if (prev === undefined) throw new NotFoundError(groupResourceOf(resource), name);
      const last = JSON.parse(prev) as KubeObject;
      if (options.preconditions) checkPreconditions(resource, name, last, options.preconditions);
      const rv = this.#rv + 1;
      const gone = withRv(last, rv);
      const text = JSON.stringify(gone);
      this.#s.remove.run(resource, key);
      this.#record({ rv, resource, key, type: 'DELETED', data: text, prev });
      return gone;
    });
  }

  /** {@inheritDoc Store.watch} */
  watch(
    resource: ResourceKey,
    options: StoreWatchOptions,
    listener: (event: StoreEvent) => void,
  ): StoreWatcher {
    const filter = buildObjectFilter(options, true);
    const requested = options.resourceVersion ?? '';
    const initial = requested === '' || requested === '0';
    let from = 0;
    if (!initial) {
      from = parseResourceVersion(requested);
      if (from < this.#compactedRv)
        throw new GoneError(`too old resource version: ${from} (${this.#compactedRv})`);
      if (from > this.#rv)
        throw new TimeoutError(`Too large resource version: ${from}, current: ${this.#rv}`);
    }
    const w: Watcher = {
      resource,
      filter,
      listener,
      lastRv: from,
      replaying: true,
      stopped: false,
    };
    this.#hub.add(w);
    try {
      if (initial) this.#sendInitial(w, options.namespace);
      // Catch up from the log until nothing newer is stored (listeners may write meanwhile).
      for (let again = true; again && !w.stopped;) {
        again = false;
        for (const row of this.#s.changesSince.all(w.lastRv, resource)) {
          this.#hub.deliver(w, parseChange(row));
          again = true;
        }
      }
      if (w.lastRv < this.#rv) w.lastRv = this.#rv;
    } finally {
      w.replaying = false;
    }
    return { stop: () => this.#hub.remove(w) };
  }

  /** {@inheritDoc Store.watcherCount} */
  watcherCount(): number {
    return this.#hub.size;
  }

  /** {@inheritDoc Store.close} */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
    this.#log.debug('Store closed', { resourceVersion: this.#rv });
  }

  /** Synthetic ADDED events for every current match, then the watermark at the newest revision. */
  #sendInitial(w: Watcher, namespace: string | undefined): void {
    const rv = this.#rv;
    const range = namespace ? namespaceKeyRange(namespace) : undefined;
    const rows = range
      ? this.#s.range.all(w.resource, range.after, range.before)
      : this.#s.rangeOpen.all(w.resource, '');
    w.lastRv = rv;
    for (const row of rows) {
      if (w.stopped) return;
      const object = JSON.parse(row.data) as KubeObject;
      if (!w.filter || w.filter(object)) this.#hub.call(w, { type: 'ADDED', object });
    }
  }

  /** Stores a new version of an existing object. */
  #replace(resource: string, key: string, object: KubeObject, prev: string): KubeObject {
    const rv = this.#rv + 1;
    const stored = withRv(object, rv);
    const text = JSON.stringify(stored);
    this.#s.replace.run(rv, text, resource, key);
    this.#record({ rv, resource, key, type: 'MODIFIED', data: text, prev });
    return stored;
  }

  /** Appends to the change log, advances the revision and compacts the log. */
  #record(change: ChangeRow): void {
    const s = this.#s;
    s.addChange.run(change.rv, change.resource, change.key, change.type, change.data, change.prev);
    this.#rv = change.rv;
    if (change.rv - this.#compactedRv > this.#changeLogSize) {
      this.#compactedRv = change.rv - this.#changeLogSize;
      s.compact.run(this.#compactedRv);
      s.setMeta.run('compacted_rv', this.#compactedRv);
    }
    this.#pending.push(change);
  }

  /** Runs a write in a transaction; events go to watchers after the outermost commit. */
  #write<T>(fn: () => T): T {
    if (this.#closed) throw new InternalError('the store is closed');
    const saved = { rv: this.#rv, compacted: this.#compactedRv, pending: this.#pending.length };
    this.#depth++;
    let result: T;
    try {
      result = this.#inTransaction(fn);
    } catch (err: unknown) {
      this.#rv = saved.rv;
      this.#compactedRv = saved.compacted;
      this.#pending.length = saved.pending;
      throw err;
    } finally {
      this.#depth--;
    }
    if (this.#depth === 0 && this.#pending.length) {
      const events = this.#pending;
      this.#pending = [];
      this.#hub.publish(events);
    }
    return result;
  }
}
