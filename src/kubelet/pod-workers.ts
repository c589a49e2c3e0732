/**
 * The kubelet's pod workers: one serialised worker per pod UID (a pod deleted and re-created
 * under the same name gets a new worker, and nothing of the old one's state). A wake-up while a
 * sync runs makes the worker run once more; a sync may ask to be run again after a delay (back-off
 * expiry, a retry after an error). Workers are forgotten when their pod is gone.
 */
import type { CancelTimer, Clock } from '../lib/clock.ts';

interface Worker {
  running: boolean;
  again: boolean;
  cancelTimer?: CancelTimer | undefined;
  /** When the pending timer fires (ms); a later request does not push an earlier one back. */
  timerAt?: number | undefined;
}

/** What a sync returns: run again after this many ms, or undefined. */
export type SyncOutcome = number | undefined;

/** The workers. */
export class PodWorkers {
  readonly #workers = new Map<string, Worker>();
  #stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly sync: (uid: string) => Promise<SyncOutcome>,
    private readonly onError: (uid: string, err: unknown) => void,
  ) {}

  /** Wakes the pod's worker now, or after `afterMs` (keeping an earlier pending wake-up). */
  enqueue(uid: string, afterMs = 0): void {
    if (this.#stopped || uid === '') return;
    let w = this.#workers.get(uid);
    if (!w) this.#workers.set(uid, (w = { running: false, again: false }));
    if (afterMs > 0) {
      const at = this.clock.now() + afterMs;
      if (w.cancelTimer && w.timerAt !== undefined && w.timerAt <= at) return;
      w.cancelTimer?.();
      w.timerAt = at;
      w.cancelTimer = this.clock.setTimer(afterMs, () => {
        w.cancelTimer = undefined;
        w.timerAt = undefined;
        this.enqueue(uid);
      });
      return;
    }
    if (w.running) {
      w.again = true;
      return;
    }
    w.running = true;
    void this.#loop(uid, w);
  }

  async #loop(uid: string, w: Worker): Promise<void> {
    do {
      w.again = false;
      try {
        const next = await this.sync(uid);
        if (next !== undefined) this.enqueue(uid, next);
      } catch (err: unknown) {
        this.onError(uid, err);
        this.enqueue(uid, 1000);
      }
    } while (w.again && !this.#stopped);
    w.running = false;
  }

  /** Drops the worker of a pod that is gone (and its pending timer). */
  forget(uid: string): void {
    const w = this.#workers.get(uid);
    if (!w) return;
    w.cancelTimer?.();
    w.again = false;
    this.#workers.delete(uid);
  }

  /** Whether any worker is syncing right now (tests wait for quiet). */
  get busy(): boolean {
    for (const w of this.#workers.values()) if (w.running) return true;
    return false;
  }

  /** UIDs that have a worker. */
  uids(): string[] {
    return [...this.#workers.keys()];
  }

  /** Stops every timer; no new syncs start. */
  stop(): void {
    this.#stopped = true;
    for (const w of this.#workers.values()) w.cancelTimer?.();
  }
}
