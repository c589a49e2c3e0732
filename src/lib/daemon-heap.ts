/**
 * Keeping the daemon's V8 heap small: a long-running process that works in bursts (a hundred
 * pods started, then quiet) but whose heap V8 sizes for the burst and keeps.
 *  - The young generation stays at its initial size. V8 doubles it under allocation pressure
 *    (up to 2 × 16 MiB here) and never gives it back; for a daemon whose live data is a few
 *    tens of MiB that was a fifth of its resident memory.
 *  - After a burst, one full collection once the daemon has been idle a while, as Go's
 *    background scavenger gives memory back for the kubelet. V8 collects its old generation
 *    only when allocation pushes it to a limit, so a quiet daemon kept that burst's garbage
 *    (and the malloc'd buffers it holds) resident indefinitely. Never while busy.
 */
import { performance } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** What the collector looks at and does; real V8 and event loop by default (tests inject). */
export interface IdleCollectorProbe {
  /** Bytes of heap V8 holds (used or not). */
  heapTotal(): number;
  /** Share of the last interval the event loop was busy, 0..1. */
  busyShare(): number;
  /** A full, compacting collection. */
  collect(): void;
}

/** Options of {@link startIdleCollector}. */
export interface IdleCollectorOptions {
  /** How often to look (ms); default 2000. */
  intervalMs?: number;
  /** Heap growth since the last collection that makes one worthwhile; default 16 MiB. */
  growthBytes?: number;
  /** Busy share under which the daemon counts as idle; default 0.1. */
  idleBelow?: number;
  probe?: IdleCollectorProbe;
}

let exposed: (() => void) | undefined;

/** Stops the young generation from growing past its initial size (call at process start). */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/** V8's full collection, made callable without starting node with `--expose-gc`. */
export function exposeGc(): () => void {
  if (!exposed) {
    setFlagsFromString('--expose-gc');
    exposed = runInNewContext('gc') as () => void;
  }
  return exposed;
}

/** The real probe: V8's heap statistics and the event loop's utilisation. */
export function v8Probe(): IdleCollectorProbe {
  let last = performance.eventLoopUtilization();
  return {
    heapTotal: () => getHeapStatistics().total_heap_size,
    busyShare: () => {
      const now = performance.eventLoopUtilization();
      const share = performance.eventLoopUtilization(now, last).utilization;
      last = now;
      return share;
    },
    collect: exposeGc(),
  };
}

/** Starts the collector; returns the function that stops it. */
export function startIdleCollector(options: IdleCollectorOptions = {}): () => void {
  const probe = options.probe ?? v8Probe();
  const growth = options.growthBytes ?? 16 * 2 ** 20;
  const idleBelow = options.idleBelow ?? 0.1;
  let baseline = probe.heapTotal();
  const timer = setInterval(() => {
    const busy = probe.busyShare(); // always sampled, so each look covers one interval
    const total = probe.heapTotal();
    if (total < baseline) baseline = total; // V8 shrank it itself
    if (busy >= idleBelow || total - baseline < growth) return;
    probe.collect();
    baseline = probe.heapTotal();
  }, options.intervalMs ?? 2000);
  timer.unref();
  return () => clearInterval(timer);
}
