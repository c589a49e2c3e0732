/**
 * One in-flight pull per key, shared by every caller asking for it meanwhile. Each caller may
 * give up (its AbortSignal) without disturbing the others; the shared work is aborted only when
 * every caller has given up.
 */

interface Flight<T> {
  promise: Promise<T>;
  controller: AbortController;
  waiters: number;
}

/** Shares concurrent runs of the same keyed operation. */
export class SharedFlights<T> {
  readonly #flights = new Map<string, Flight<T>>();

  /** `onIdle` runs each time the last flight lands. */
  constructor(private readonly onIdle: () => void = () => undefined) {}

  /** Number of operations in flight (for tests and status). */
  get size(): number {
    return this.#flights.size;
  }

  /** Joins the flight for `key`, starting `start` when there is none (or only an abandoned one). */
  run(key: string, start: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    let flight = this.#flights.get(key);
    if (!flight || flight.controller.signal.aborted) {
      const controller = new AbortController();
      const created: Flight<T> = {
        controller,
        waiters: 0,
        promise: Promise.resolve()
          .then(() => start(controller.signal))
          .finally(() => {
            if (this.#flights.get(key) === created) this.#flights.delete(key);
            if (this.#flights.size === 0) this.onIdle();
          }),
      };
      flight = created;
      this.#flights.set(key, created);
    }
    const f = flight;
    f.waiters++;
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const onAbort = (): void => {
        if (done) return;
        done = true;
        f.waiters--;
        if (f.waiters === 0) f.controller.abort(signal?.reason);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      f.promise.then(
        (v) => {
          if (done) return;
          done = true;
          f.waiters--;
          signal?.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e: unknown) => {
          if (done) return;
          done = true;
          f.waiters--;
          signal?.removeEventListener('abort', onAbort);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }
}
