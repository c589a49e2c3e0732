/**
 * A level-triggered work queue: keys (usually `namespace/name`) are deduplicated while waiting,
 * processed one at a time by `reconcile`, retried with exponential back-off on error, and can
 * ask to be looked at again later. The loop never dies on an error.
 */
import type { Clock, CancelTimer } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';

/** What a reconcile may ask for. */
export interface ReconcileResult {
  /** Look at this key again after this many milliseconds. */
  requeueAfterMs?: number;
}

/** Options for {@link WorkQueue}. */
export interface WorkQueueOptions {
  name: string;
  clock: Clock;
  log: Logger;
  reconcile: (key: string, signal: AbortSignal) => Promise<ReconcileResult | undefined>;
}

/** A serial, deduplicating work queue. */
export class WorkQueue {
  readonly #o: WorkQueueOptions;
  readonly #pending = new Set<string>();
  readonly #order: string[] = [];
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, CancelTimer>();
  #wake: (() => void) | undefined;

  constructor(options: WorkQueueOptions) {
    this.#o = options;
  }

  /** Queues `key` (no-op if already waiting). */
  add(key: string): void {
    if (this.#pending.has(key)) return;
    this.#pending.add(key);
    this.#order.push(key);
    this.#wake?.();
  }

  /** Queues `key` after `ms`. */
  addAfter(key: string, ms: number): void {
    this.#timers.get(key)?.();
    this.#timers.set(
      key,
      this.#o.clock.setTimer(ms, () => {
        this.#timers.delete(key);
        this.add(key);
      }),
    );
  }

  /** Processes keys until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const onAbort = (): void => this.#wake?.();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        const key = this.#order.shift();
        if (key === undefined) {
          await new Promise<void>((r) => (this.#wake = r));
          this.#wake = undefined;
          continue;
        }
        this.#pending.delete(key);
        try {
          const result = await this.#o.reconcile(key, signal);
          this.#failures.delete(key);
          if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
        } catch (err: unknown) {
          if (signal.aborted) break;
          const n = (this.#failures.get(key) ?? 0) + 1;
          this.#failures.set(key, n);
          const delay = Math.min(5 * 2 ** n, 60_000);
          this.#o.log.warn('Reconcile failed; will retry', {
            controller: this.#o.name,
            key,
            attempt: n,
            delayMs: delay,
            err,
          });
          this.addAfter(key, delay);
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      for (const cancel of this.#timers.values()) cancel();
      this.#timers.clear();
    }
  }
}

/** `namespace/name` of an object. */
export function keyOf(obj: { metadata: { namespace?: string; name?: string } }): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

/** Splits a key made by {@link keyOf}. */
export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}
