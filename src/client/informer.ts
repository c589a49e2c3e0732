/**
 * A small informer: lists a resource, then watches from the list's resourceVersion, keeps a
 * cache by namespace/name, and calls back on each change. On a dropped or expired watch it
 * resumes (or relists) after a short back-off, so callers see a level-triggered stream.
 */
import { isGone } from '../k8s/errors.ts';
import type { KubeObject } from '../k8s/types/meta.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import type { KubeClient, ListOptions, ResourceRef } from './kube-client.ts';

/** What changed. `old` is set for updates and deletes. */
export interface InformerEvent<T extends KubeObject> {
  type: 'added' | 'updated' | 'deleted';
  object: T;
  old?: T;
}

/** Options for {@link Informer}. */
export interface InformerOptions {
  client: KubeClient;
  resource: ResourceRef;
  namespace?: string;
  list?: Pick<ListOptions, 'labelSelector' | 'fieldSelector'>;
  clock: Clock;
  log: Logger;
}

const key = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/** A list+watch cache of one resource. */
export class Informer<T extends KubeObject = KubeObject> {
  readonly #opts: InformerOptions;
  readonly #cache = new Map<string, T>();
  readonly #handlers: ((e: InformerEvent<T>) => void)[] = [];
  #synced = false;
  #syncWaiters: (() => void)[] = [];

  constructor(options: InformerOptions) {
    this.#opts = options;
  }

  /** Registers a change handler (call before `run`). */
  onChange(handler: (e: InformerEvent<T>) => void): void {
    this.#handlers.push(handler);
  }

  /** Cached objects. */
  list(): T[] {
    return [...this.#cache.values()];
  }

  get(namespace: string, name: string): T | undefined {
    return this.#cache.get(`${namespace}/${name}`);
  }

  /** Resolves once the first list has been delivered. */
  synced(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((r) => this.#syncWaiters.push(r));
  }

  #emit(e: InformerEvent<T>): void {
    for (const h of this.#handlers) {
      try {
        h(e);
      } catch (err: unknown) {
        this.#opts.log.error('Informer handler failed', {
          resource: this.#opts.resource.resource,
          err,
        });
      }
    }
  }

  #apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void {
    const k = key(obj);
    const old = this.#cache.get(k);
    if (type === 'DELETED') {
      this.#cache.delete(k);
      this.#emit({ type: 'deleted', object: obj, ...(old ? { old } : {}) });
    } else {
      this.#cache.set(k, obj);
      this.#emit(old ? { type: 'updated', object: obj, old } : { type: 'added', object: obj });
    }
  }

  async #relist(): Promise<string> {
    const { client, resource, namespace, list } = this.#opts;
    const res = await client.list<T>(resource, namespace, { ...list });
    const seen = new Set<string>();
    for (const item of res.items) {
      seen.add(key(item));
      const old = this.#cache.get(key(item));
      if (!old || old.metadata.resourceVersion !== item.metadata.resourceVersion)
        this.#apply('ADDED', item);
    }
    for (const [k, old] of [...this.#cache]) if (!seen.has(k)) this.#apply('DELETED', old);
    if (!this.#synced) {
      this.#synced = true;
      for (const w of this.#syncWaiters.splice(0)) w();
    }
    return res.metadata.resourceVersion ?? '';
  }

  /** Lists and watches until `signal` aborts. Never throws for API errors; retries. */
  async run(signal: AbortSignal): Promise<void> {
    const { client, resource, namespace, list, clock, log } = this.#opts;
    let rv = '';
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (!rv) rv = await this.#relist();
        for await (const ev of client.watch<T>(
          resource,
          namespace,
          { ...list, resourceVersion: rv, allowWatchBookmarks: true },
          signal,
        )) {
          failures = 0;
          rv = ev.object.metadata.resourceVersion ?? rv;
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED')
            this.#apply(ev.type, ev.object);
        }
      } catch (err: unknown) {
        if (signal.aborted) return;
        if (isGone(err)) rv = '';
        else {
          failures++;
          log.warn('Watch failed; retrying', { resource: resource.resource, err });
        }
      }
      if (signal.aborted) return;
      await clock.sleep(Math.min(100 * 2 ** failures, 5000), signal).catch(() => undefined);
    }
  }
}
