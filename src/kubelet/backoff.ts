/**
 * The kubelet's back-off tables (pod-lifecycle.md §5, §6): crash-loop back-off per
 * pod + container + image, and image-pull back-off per pod + image. Delays 10 s, 20 s, 40 s …
 * capped at 300 s; the first restart after the first exit is immediate; an instance that ran
 * long enough (finishedAt − last step > 600 s) resets the entry; idle entries are forgotten.
 */

/** Initial delay, cap and reset window (1.33 defaults). */
export const backoffInitialMs = 10_000;
export const backoffMaxMs = 300_000;
export const backoffResetMs = 600_000;

interface Entry {
  delayMs: number;
  lastUpdate: number;
}

/** Go's duration format for whole seconds: `10s`, `1m20s`, `5m0s`. */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s % 60}s`;
}

/** The crash-loop decision for one start attempt. */
export type CrashLoopDecision =
  { start: true } | { start: false; delayMs: number; message: string; eventMessage: string };

/** Crash-loop back-off for every container of every pod. */
export class CrashLoopBackoff {
  readonly #entries = new Map<string, Entry>();

  static key(podUid: string, container: string, image: string): string {
    return `${podUid}/${container}/${image}`;
  }

  /**
   * Whether a container whose newest instance exited at `finishedAt` may start `now`. Starting
   * updates the entry; being in back-off does not.
   */
  decide(
    key: string,
    finishedAt: number,
    now: number,
    describe: { container: string; pod: string; namespace: string; uid: string },
  ): CrashLoopDecision {
    const entry = this.#entries.get(key);
    const expired = entry !== undefined && finishedAt - entry.lastUpdate > backoffResetMs;
    if (entry && !expired && now - finishedAt < entry.delayMs) {
      const d = goDuration(entry.delayMs);
      return {
        start: false,
        delayMs: entry.delayMs - (now - finishedAt),
        message: `back-off ${d} restarting failed container=${describe.container} pod=${describe.pod}_${describe.namespace}(${describe.uid})`,
        eventMessage: `Back-off restarting failed container ${describe.container} in pod ${describe.pod}_${describe.namespace}(${describe.uid})`,
      };
    }
    if (!entry || expired) this.#entries.set(key, { delayMs: backoffInitialMs, lastUpdate: now });
    else
      this.#entries.set(key, {
        delayMs: Math.min(entry.delayMs * 2, backoffMaxMs),
        lastUpdate: now,
      });
    return { start: true };
  }

  /** Forgets entries not touched for the reset window (and a pod's entries when it goes). */
  gc(now: number, podUid?: string): void {
    for (const [k, e] of this.#entries) {
      if (now - e.lastUpdate > backoffResetMs || (podUid && k.startsWith(`${podUid}/`)))
        this.#entries.delete(k);
    }
  }
}

/** Image-pull back-off: after a failed pull, no pull until the window has passed. */
export class ImagePullBackoff {
  readonly #entries = new Map<string, Entry & { until: number }>();

  /** True while pulls of `key` (pod uid + image) are backed off at `now`. */
  inBackoff(key: string, now: number): boolean {
    const e = this.#entries.get(key);
    return !!e && now < e.until;
  }

  /** Milliseconds until pulls of `key` may be tried again (0 when not backed off). */
  remainingMs(key: string, now: number): number {
    const e = this.#entries.get(key);
    return e ? Math.max(0, e.until - now) : 0;
  }

  /** Records a failed pull at `now`: 10 s, then 20 s, … up to 300 s. */
  failed(key: string, now: number): void {
    const e = this.#entries.get(key);
    const fresh = !e || now - e.lastUpdate > backoffResetMs;
    const delayMs = fresh ? backoffInitialMs : Math.min(e.delayMs * 2, backoffMaxMs);
    this.#entries.set(key, { delayMs, lastUpdate: now, until: now + delayMs });
  }

  /** Records a successful pull. */
  succeeded(key: string): void {
    this.#entries.delete(key);
  }
}
