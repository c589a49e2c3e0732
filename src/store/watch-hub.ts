/**
 * In-process fan-out of committed changes to watchers, in revision order, with per-watcher
 * selector filtering that turns a MODIFIED into ADDED or DELETED when an object starts or stops
 * matching. A listener that throws is logged and does not disturb the others.
 */
import type { KubeObject } from '../k8s/types/meta.ts';
import type { Logger } from '../lib/log.ts';
import type { ObjectFilter } from './object-filter.ts';
import type { ChangeRow } from './sqlite-schema.ts';
import type { StoreEvent } from './store.ts';

/** One registered watch. */
export interface Watcher {
  readonly resource: string;
  readonly filter: ObjectFilter;
  readonly listener: (event: StoreEvent) => void;
  /** The newest revision already delivered (or skipped); older events are ignored. */
  lastRv: number;
  /** While true the watcher is catching up from the log and live delivery skips it. */
  replaying: boolean;
  stopped: boolean;
}

/** A change with its objects parsed once for all watchers. */
export interface ParsedChange {
  rv: number;
  type: StoreEvent['type'];
  object: KubeObject;
  previous: KubeObject | undefined;
}

/** Parses a change row's JSON. */
export function parseChange(row: ChangeRow): ParsedChange {
  return {
    rv: row.rv,
    type: row.type,
    object: JSON.parse(row.data) as KubeObject,
    previous: row.prev === null ? undefined : (JSON.parse(row.prev) as KubeObject),
  };
}

/** The event a watcher with `filter` should see for a change, if any. */
export function eventFor(change: ParsedChange, filter: ObjectFilter): StoreEvent | undefined {
  const { type, object, previous } = change;
  if (type === 'MODIFIED') {
    if (!filter) return previous ? { type, object, previous } : { type, object };
    const now = filter(object);
    const before = previous ? filter(previous) : now;
    if (now && before) return previous ? { type, object, previous } : { type, object };
    if (now) return { type: 'ADDED', object };
    if (before && previous) {
      // Stopped matching: a DELETED carrying the old content at the change's revision.
      const rv = object.metadata.resourceVersion;
      const gone: KubeObject = { ...previous, metadata: { ...previous.metadata } };
      if (rv !== undefined) gone.metadata.resourceVersion = rv;
      return { type: 'DELETED', object: gone };
    }
    return undefined;
  }
  return !filter || filter(object) ? { type, object } : undefined;
}

/** Registry of watchers and the ordered dispatch queue. */
export class WatchHub {
  readonly #byResource = new Map<string, Set<Watcher>>();
  #queue: ChangeRow[] = [];
  #draining = false;
  #count = 0;

  constructor(private readonly log: Logger) {}

  /** Number of live watchers. */
  get size(): number {
    return this.#count;
  }

  /** Whether any watcher listens to this resource. */
  has(resource: string): boolean {
    return (this.#byResource.get(resource)?.size ?? 0) > 0;
  }

  /** Adds a watcher. */
  add(w: Watcher): void {
    let set = this.#byResource.get(w.resource);
    if (!set) this.#byResource.set(w.resource, (set = new Set()));
    set.add(w);
    this.#count++;
  }

  /** Removes a watcher (idempotent). */
  remove(w: Watcher): void {
    w.stopped = true;
    const set = this.#byResource.get(w.resource);
    if (set?.delete(w)) {
      this.#count--;
      if (set.size === 0) this.#byResource.delete(w.resource);
    }
  }

  /** Delivers one change to one watcher, honouring its filter and revision watermark. */
  deliver(w: Watcher, change: ParsedChange): void {
    if (w.stopped || change.rv <= w.lastRv) return;
    w.lastRv = change.rv;
    const event = eventFor(change, w.filter);
    if (event) this.call(w, event);
  }

  /** Calls a listener, logging (not throwing) its errors. */
  call(w: Watcher, event: StoreEvent): void {
    try {
      w.listener(event);
    } catch (err: unknown) {
      this.log.warn('Watch listener failed', { resource: w.resource, err });
    }
  }

  /**
   * Queues committed changes and delivers them in order. Re-entrant calls (a listener that
   * writes) only queue: the outermost call drains, so every watcher sees revisions in order.
   */
  publish(rows: ChangeRow[]): void {
    for (const r of rows) if (this.has(r.resource)) this.#queue.push(r);
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let i = 0; i < this.#queue.length; i++) {
        const row = this.#queue[i]!;
        const set = this.#byResource.get(row.resource);
        if (!set) continue;
        const change = parseChange(row);
        for (const w of [...set]) if (!w.replaying) this.deliver(w, change);
      }
    } finally {
      this.#queue = [];
      this.#draining = false;
    }
  }
}
