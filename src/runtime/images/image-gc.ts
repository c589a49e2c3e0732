/**
 * Image garbage collection by disk usage, the kubelet's way: when the image file system is at or
 * above the high threshold (85 %), images that no container holds a lease on are removed, least
 * recently used first, until the usage would be at or below the low threshold (80 %). Images
 * younger than the minimum age (since first seen) are spared.
 *
 * Last-use times live in `<store>/image-usage.json` ({@link ImageUsageTracker}): an image is
 * "used" when a container leases it ({@link trackImageUse} wraps `leaseImage`) and at every
 * collection while it is leased. Never-used images go first, oldest first seen first. Bytes
 * freed are counted per layer: a layer still used by a remaining image frees nothing.
 */
import { readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { nullLogger, type Logger } from '../../lib/log.ts';
import type { ImageInfo } from '../container-runtime.ts';
import type { LocalImageStore } from './local-image-store.ts';
import { writeFileAtomic } from './store-fs.ts';
import { ImageInUseError, readLeases } from './store-leases.ts';

/** Usage of the file system holding the images. */
export interface FsUsage {
  usedBytes: number;
  capacityBytes: number;
}

/** The store operations garbage collection needs (LocalImageStore has them). */
export type GcStore = Pick<LocalImageStore, 'root' | 'listImages' | 'removeImage' | 'lowerDirs'>;

/** Options of {@link collectImages}. */
export interface ImageGcOptions {
  /** Collect when usage reaches this percentage (default 85). */
  highThresholdPercent?: number;
  /** Collect down to this percentage (default 80). */
  lowThresholdPercent?: number;
  /** Measures usage (default: statfs of the store's file system, used = capacity - available). */
  fsUsage?: () => FsUsage | Promise<FsUsage>;
  /** Images first seen less than this long ago are kept (default 2 minutes, as the kubelet). */
  minAgeMs?: number;
  /** Clock (default Date.now). */
  now?: () => number;
  /** Last-use records (default: one for the store's directory). */
  usage?: ImageUsageTracker;
  log?: Logger;
}

/** One removed image. */
export interface RemovedImage {
  id: string;
  repoTags: string[];
  /** Bytes its removal freed (layers no remaining image uses). */
  freedBytes: number;
  /** Epoch ms of its last use, or undefined when never used. */
  lastUsed: number | undefined;
}

/** What {@link collectImages} did. */
export interface ImageGcResult {
  /** Usage measured before collecting. */
  usage: FsUsage;
  /** True when the usage was at or above the high threshold. */
  triggered: boolean;
  /** Bytes that had to go to reach the low threshold (0 when not triggered). */
  bytesToFree: number;
  removed: RemovedImage[];
  bytesFreed: number;
  /** Set when not enough could be freed (the kubelet's wording). */
  error?: string;
}

interface UsageRecord {
  firstSeen: number;
  lastUsed?: number;
}

/** Persisted first-seen and last-used times per image id. */
export class ImageUsageTracker {
  readonly path: string;
  #records: Map<string, UsageRecord> | undefined;
  #saving: Promise<void> = Promise.resolve();

  constructor(storeRoot: string) {
    this.path = join(storeRoot, 'image-usage.json');
  }

  async #load(): Promise<Map<string, UsageRecord>> {
    if (this.#records) return this.#records;
    let data: Record<string, UsageRecord> = {};
    try {
      const parsed = JSON.parse(await readFile(this.path, 'utf8')) as unknown;
      if (typeof parsed === 'object' && parsed !== null) {
        data = parsed as Record<string, UsageRecord>;
      }
    } catch {
      // missing or unreadable: start afresh (only the LRU order is lost)
    }
    this.#records ??= new Map(
      Object.entries(data).filter(([, r]) => typeof r.firstSeen === 'number'),
    );
    return this.#records;
  }

  /** Records a use of image `id` at `at`. */
  async touch(id: string, at = Date.now()): Promise<void> {
    const records = await this.#load();
    const r = records.get(id) ?? { firstSeen: at };
    r.lastUsed = Math.max(r.lastUsed ?? 0, at);
    records.set(id, r);
    await this.save();
  }

  /** The record of `id`, if any. */
  async get(id: string): Promise<Readonly<UsageRecord> | undefined> {
    return (await this.#load()).get(id);
  }

  /** Notes images seen for the first time and forgets ones that are gone. */
  async detect(ids: string[], at: number): Promise<void> {
    const records = await this.#load();
    const present = new Set(ids);
    for (const id of ids) if (!records.has(id)) records.set(id, { firstSeen: at });
    for (const id of [...records.keys()]) if (!present.has(id)) records.delete(id);
  }

  /** Writes the records (writes are serialised; the file is replaced atomically). */
  save(): Promise<void> {
    this.#saving = this.#saving
      .catch(() => undefined)
      .then(async () => {
        const records = await this.#load();
        await writeFileAtomic(this.path, JSON.stringify(Object.fromEntries(records)));
      });
    return this.#saving;
  }
}

/**
 * Makes `store.leaseImage` record a use of the leased image in `tracker`. Returns a function
 * that undoes the wrapping.
 */
export function trackImageUse(store: LocalImageStore, tracker: ImageUsageTracker): () => void {
  const own = Object.getOwnPropertyDescriptor(store, 'leaseImage');
  const original = store.leaseImage.bind(store);
  const wrapped = async (holder: string, refOrId: string): Promise<string> => {
    const id = await original(holder, refOrId);
    await tracker.touch(id).catch(() => undefined);
    return id;
  };
  store.leaseImage = wrapped;
  return () => {
    if (store.leaseImage !== wrapped) return;
    if (own) Object.defineProperty(store, 'leaseImage', own);
    else delete (store as { leaseImage?: unknown }).leaseImage;
  };
}

/** Usage of the file system holding `dir`, counted as the kubelet does (capacity - available). */
export async function statfsUsage(dir: string): Promise<FsUsage> {
  const s = await statfs(dir);
  const capacityBytes = s.blocks * s.bsize;
  return { capacityBytes, usedBytes: capacityBytes - s.bavail * s.bsize };
}

async function layerSizes(store: GcStore, id: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const dir of await store.lowerDirs(id)) {
    const n = Number(await readFile(join(dir, '..', 'size'), 'utf8').catch(() => '0'));
    sizes.set(dir, Number.isFinite(n) ? n : 0);
  }
  return sizes;
}

/** Removes least-recently-used, unleased images while usage is above the thresholds. */
export async function collectImages(
  store: GcStore,
  opts: ImageGcOptions = {},
): Promise<ImageGcResult> {
  const high = opts.highThresholdPercent ?? 85;
  const low = opts.lowThresholdPercent ?? 80;
  if (!(low >= 0 && low <= high && high <= 100)) {
    throw new Error(`invalid image GC thresholds: low ${String(low)}%, high ${String(high)}%`);
  }
  const log = opts.log ?? nullLogger;
  const now = (opts.now ?? Date.now)();
  const minAge = opts.minAgeMs ?? 120_000;
  const tracker = opts.usage ?? new ImageUsageTracker(store.root);
  const usage = await (opts.fsUsage ?? (() => statfsUsage(store.root)))();

  const images = await store.listImages();
  await tracker.detect(
    images.map((i) => i.id),
    now,
  );
  const leased = new Set((await readLeases(join(store.root, 'leases'))).keys());
  for (const id of leased) if (images.some((i) => i.id === id)) await tracker.touch(id, now);
  await tracker.save();

  const result: ImageGcResult = {
    usage,
    triggered: false,
    bytesToFree: 0,
    removed: [],
    bytesFreed: 0,
  };
  if (usage.capacityBytes <= 0) return result;
  const percent = (usage.usedBytes * 100) / usage.capacityBytes;
  if (percent < high) return result;
  result.triggered = true;
  result.bytesToFree = Math.max(0, Math.ceil(usage.usedBytes - (usage.capacityBytes * low) / 100));
  log.info('Image file system usage above the high threshold; removing unused images', {
    usagePercent: Math.round(percent),
    highThresholdPercent: high,
    bytesToFree: result.bytesToFree,
  });

  // Layers of every image, to count only what a removal really frees.
  const layersOf = new Map<string, Map<string, number>>();
  for (const img of images) {
    try {
      layersOf.set(img.id, await layerSizes(store, img.id));
    } catch {
      layersOf.set(img.id, new Map());
    }
  }
  const candidates: Array<{ img: ImageInfo; lastUsed: number | undefined; firstSeen: number }> = [];
  for (const img of images) {
    if (leased.has(img.id)) continue;
    const rec = await tracker.get(img.id);
    const firstSeen = rec?.firstSeen ?? now;
    if (now - firstSeen < minAge) continue;
    candidates.push({ img, lastUsed: rec?.lastUsed, firstSeen });
  }
  candidates.sort((a, b) => (a.lastUsed ?? 0) - (b.lastUsed ?? 0) || a.firstSeen - b.firstSeen);

  const remaining = new Set(images.map((i) => i.id));
  for (const c of candidates) {
    if (result.bytesFreed >= result.bytesToFree) break;
    try {
      await store.removeImage(c.img.id);
    } catch (e) {
      if (e instanceof ImageInUseError) continue; // leased meanwhile
      log.warn('Image garbage collection could not remove an image', { id: c.img.id, err: e });
      continue;
    }
    remaining.delete(c.img.id);
    let freed = 0;
    for (const [layer, size] of layersOf.get(c.img.id) ?? []) {
      const shared = [...remaining].some((id) => layersOf.get(id)?.has(layer) === true);
      if (!shared) freed += size;
    }
    result.bytesFreed += freed;
    result.removed.push({
      id: c.img.id,
      repoTags: c.img.repoTags,
      freedBytes: freed,
      lastUsed: c.lastUsed,
    });
    log.info('Removed unused image', { id: c.img.id, tags: c.img.repoTags, freedBytes: freed });
  }
  await tracker.detect([...remaining], now);
  await tracker.save();
  if (result.bytesFreed < result.bytesToFree) {
    result.error = `Failed to garbage collect required amount of images. Attempted to free ${String(result.bytesToFree)} bytes, but only found ${String(result.bytesFreed)} bytes eligible to free.`;
    log.warn(result.error);
  }
  return result;
}

/** Runs {@link collectImages} every `intervalMs` (default 5 minutes, as the kubelet). */
export function startImageGc(
  store: GcStore,
  opts: ImageGcOptions & { intervalMs?: number } = {},
): { stop: () => void } {
  const log = opts.log ?? nullLogger;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    collectImages(store, opts)
      .catch((err: unknown) => log.warn('Image garbage collection failed', { err }))
      .finally(() => (running = false));
  }, opts.intervalMs ?? 300_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
