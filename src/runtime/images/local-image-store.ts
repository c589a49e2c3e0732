/**
 * podbay's local, content-addressed image store: unpacked layers keyed by diff_id (ready to be
 * overlay lowerdirs), image configs keyed by their digest (the image id), and an index of tags
 * and repo digests. Pulls are delegated to an {@link ImagePuller} (the registry client), which
 * writes into the store through {@link LocalImageStore.putLayer} and {@link LocalImageStore.putImage}.
 *
 * On disk, under `root` (`<data>/images`):
 * - `layers/<hex>/fs/` the unpacked layer, `layers/<hex>/size` its size in bytes;
 * - `configs/<hex>.json` image config bytes, exactly as received (so the id can be re-checked);
 * - `index.json` images → tags and digests (see store-index.ts), `index.lock` while it changes;
 * - `leases/<holder>.json` which image a container uses (see store-leases.ts);
 * - `tmp/` work space on the same file system: a layer is built there and renamed into `layers/`
 *   (and renamed out to be deleted), so `layers/<hex>` is complete or absent. Leftovers of
 *   crashed processes are swept at start.
 *
 * Layers no image references are deleted when an image is removed, except layers this process
 * added for an image not recorded yet and, for other processes' pulls in progress, layers younger
 * than {@link freshLayerMs} that no removed image used. While this process pulls, the deletion
 * waits until the pulls are over (a pull may have found a layer present and be about to use it).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nullLogger, type Logger } from '../../lib/log.ts';
import {
  ImagePullError,
  RuntimeNotFoundError,
  type ImageInfo,
  type ImageService,
  type PullAuth,
} from '../container-runtime.ts';
import { normalizeImageRef } from './image-ref.ts';
import { importRootfs, type ExtractedLayer } from './local-import.ts';
import { exists, sweepTempDir, tempName, treeSize, writeFileAtomic } from './store-fs.ts';
import {
  imageInfo,
  parseImageConfig,
  type ImageConfigJson,
  type ImportConfigOptions,
} from './store-image-config.ts';
import { StoreIndex, type IndexedImage, type StoreIndexData } from './store-index.ts';
import { deleteLease, ImageInUseError, readLeases, writeLease } from './store-leases.ts';
import { deleteUnusedConfigs, deleteUnusedLayers } from './store-layer-gc.ts';
import { findImage, hexOf, normalizeRepoDigest, normalizeTag } from './store-ref-match.ts';
import { SharedFlights } from './store-pull-sharing.ts';

export { ImageInUseError } from './store-leases.ts';

/** Fetches an image into the store (the registry client implements it). */
export interface ImagePuller {
  pull(
    ref: string,
    auth: PullAuth[],
    store: LocalImageStore,
    signal?: AbortSignal,
  ): Promise<ImageInfo>;
}

/** Options of {@link LocalImageStore}. */
export interface LocalImageStoreOptions {
  /** The store's directory, `<data>/images`. */
  root: string;
  puller?: ImagePuller;
  log?: Logger;
}

/** Unreferenced layers younger than this are left alone by removals in other processes. */
export const freshLayerMs = 10 * 60_000;

/** The local image store; implements the CRI-like {@link ImageService}. */
export class LocalImageStore implements ImageService {
  readonly root: string;
  #puller: ImagePuller | undefined;
  readonly #log: Logger;
  readonly #index: StoreIndex;
  readonly #layerFills = new Map<string, Promise<string>>();
  /** Layers this process added whose image is not recorded yet (diffId → when). */
  readonly #fresh = new Map<string, number>();
  readonly #configs = new Map<string, ImageConfigJson>();
  readonly #pulls = new SharedFlights<ImageInfo>(() => this.#collectDeferred());
  /** Layers of images removed while pulls were running (a pull may be about to reuse them). */
  readonly #deferredLayers = new Set<string>();
  #ready: Promise<void> | undefined;

  constructor(opts: LocalImageStoreOptions) {
    this.root = opts.root;
    this.#puller = opts.puller;
    this.#log = opts.log ?? nullLogger;
    this.#index = new StoreIndex(opts.root);
  }

  /** Sets (or replaces) the puller used by {@link pullImage}. */
  setPuller(p: ImagePuller): void {
    this.#puller = p;
  }

  /** True when the layer is present (a layer directory is only ever visible complete). */
  hasLayer(diffId: string): boolean {
    return existsSync(join(this.root, 'layers', hexOf(diffId, 'diff_id')));
  }

  /** `<root>/layers/<hex>/fs`, usable as an overlay lowerdir. */
  layerDir(diffId: string): string {
    return join(this.root, 'layers', hexOf(diffId, 'diff_id'), 'fs');
  }

  /**
   * Adds a layer once: `fill(dir)` writes the content into an empty temp directory on the same
   * file system (and may return the layer's size in bytes; otherwise the files are summed); the
   * directory is then renamed into place. Concurrent calls for one diffId share one fill. A
   * failed fill leaves nothing behind. Resolves with {@link layerDir}.
   */
  putLayer(diffId: string, fill: (dir: string) => Promise<unknown>): Promise<string> {
    const hex = hexOf(diffId, 'diff_id');
    const pending = this.#layerFills.get(hex);
    if (pending) return pending;
    const run = (async () => {
      await this.#init();
      this.#fresh.set(diffId, Date.now());
      if (!this.hasLayer(diffId)) {
        await this.#buildLayer(async (dir) => {
          const size = await fill(dir);
          return { diffId, size: typeof size === 'number' ? size : await treeSize(dir) };
        });
      }
      return this.layerDir(diffId);
    })().finally(() => this.#layerFills.delete(hex));
    this.#layerFills.set(hex, run);
    return run;
  }

  /**
   * Adds a layer whose diffId is only known once it is written (an import that hashes while it
   * extracts). If the layer already exists the new copy is discarded.
   */
  async putLayerComputed(
    fill: (dir: string) => Promise<ExtractedLayer>,
  ): Promise<{ diffId: string; dir: string }> {
    await this.#init();
    const { diffId } = await this.#buildLayer(fill);
    return { diffId, dir: this.layerDir(diffId) };
  }

  async #buildLayer(fill: (dir: string) => Promise<ExtractedLayer>): Promise<ExtractedLayer> {
    const tmp = join(this.root, 'tmp', tempName('layer'));
    try {
      await mkdir(join(tmp, 'fs'), { recursive: true });
      const layer = await fill(join(tmp, 'fs'));
      const hex = hexOf(layer.diffId, 'diff_id');
      this.#fresh.set(layer.diffId, Date.now());
      await writeFile(join(tmp, 'size'), String(layer.size));
      try {
        await rename(tmp, join(this.root, 'layers', hex));
        this.#log.info('Added image layer', { diffId: layer.diffId, size: layer.size });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
        // Another process added the same layer meanwhile: keep theirs.
      }
      return layer;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /**
   * Records an image from its config bytes (id = `sha256:` + sha256 of the bytes). Every layer
   * of `rootfs.diff_ids` must be present. Tags and digests move here from any other image (which
   * stays, untagged, as docker leaves it).
   */
  async putImage(
    configBytes: Buffer,
    repoTags: string[],
    repoDigests: string[],
  ): Promise<ImageInfo> {
    const cfg = parseImageConfig(configBytes);
    const hex = createHash('sha256').update(configBytes).digest('hex');
    const id = `sha256:${hex}`;
    const tags = repoTags.map(normalizeTag);
    const digests = repoDigests.map(normalizeRepoDigest);
    await this.#init();
    const info = await this.#index.update(async (data) => {
      const missing = cfg.rootfs.diff_ids.filter((d) => !this.hasLayer(d));
      if (missing.length > 0) {
        throw new Error(`cannot record image ${id}: missing layer(s) ${missing.join(', ')}`);
      }
      let size = 0;
      for (const d of cfg.rootfs.diff_ids) size += await this.#layerSize(d);
      const configPath = join(this.root, 'configs', `${hex}.json`);
      if (!(await exists(configPath))) await writeFileAtomic(configPath, configBytes);
      this.#configs.set(id, cfg);
      for (const [otherId, other] of Object.entries(data.images)) {
        if (otherId === id) continue;
        other.repoTags = other.repoTags.filter((t) => !tags.includes(t));
        other.repoDigests = other.repoDigests.filter((d) => !digests.includes(d));
      }
      const entry = data.images[id] ?? { repoTags: [], repoDigests: [], size };
      entry.repoTags = [...new Set([...entry.repoTags, ...tags])];
      entry.repoDigests = [...new Set([...entry.repoDigests, ...digests])];
      entry.size = size;
      data.images[id] = entry;
      return this.#info(id, entry);
    });
    for (const d of cfg.rootfs.diff_ids) this.#fresh.delete(d);
    this.#log.info('Recorded image', { id, tags });
    return info;
  }

  /** Overlay lowerdirs of an image, top-most layer first. Throws RuntimeNotFoundError. */
  async lowerDirs(refOrId: string): Promise<string[]> {
    const data = await this.#index.read();
    const match = findImage(refOrId, data);
    if (!match) throw new RuntimeNotFoundError(`image "${refOrId}" not found`);
    const cfg = await this.#config(match.id);
    const missing = cfg.rootfs.diff_ids.filter((d) => !this.hasLayer(d));
    if (missing.length > 0) {
      throw new Error(`image ${match.id} is incomplete: missing layer(s) ${missing.join(', ')}`);
    }
    return cfg.rootfs.diff_ids.map((d) => this.layerDir(d)).reverse();
  }

  /**
   * Finds an image by reference (normalised: `busybox` = `docker.io/library/busybox:latest`),
   * by `name@sha256:…` repo digest, by id `sha256:…`, or by a unique id prefix.
   */
  async imageStatus(ref: string): Promise<ImageInfo | undefined> {
    const data = await this.#index.read();
    const match = findImage(ref, data);
    return match ? this.#info(match.id, data.images[match.id]!) : undefined;
  }

  async listImages(): Promise<ImageInfo[]> {
    const data = await this.#index.read();
    const out: ImageInfo[] = [];
    for (const [id, entry] of Object.entries(data.images)) out.push(await this.#info(id, entry));
    return out;
  }

  /**
   * Removes a reference: a tag or repo digest is dropped, and the image with it once no tags
   * (for a digest: no tags and no digests) are left; an id removes the image with all its names.
   * Layers no longer used by any image are deleted. An unknown reference is not an error.
   * Throws {@link ImageInUseError} (changing nothing) when the image would go but is leased.
   */
  async removeImage(ref: string): Promise<void> {
    await this.#init();
    await this.#index.update(async (data) => {
      const match = findImage(ref, data);
      if (!match) return;
      const entry = data.images[match.id]!;
      if (match.kind === 'tag') entry.repoTags = entry.repoTags.filter((t) => t !== match.key);
      if (match.kind === 'digest') {
        entry.repoDigests = entry.repoDigests.filter((d) => d !== match.key);
      }
      const gone =
        match.kind === 'id' ||
        (entry.repoTags.length === 0 && (match.kind === 'tag' || entry.repoDigests.length === 0));
      if (!gone) return;
      const holders = (await readLeases(join(this.root, 'leases'))).get(match.id);
      if (holders) throw new ImageInUseError(match.id, holders);
      const removedLayers = new Set((await this.#config(match.id)).rootfs.diff_ids);
      delete data.images[match.id];
      await rm(join(this.root, 'configs', `${hexOf(match.id, 'image id')}.json`), { force: true });
      this.#configs.delete(match.id);
      this.#log.info('Removed image', { id: match.id, ref });
      await this.#collectLayers(data, removedLayers);
    });
  }

  /**
   * Records that `holder` (a container id) uses the image `refOrId`, which then cannot be
   * removed until {@link releaseImage}. Resolves with the image id; throws RuntimeNotFoundError.
   */
  async leaseImage(holder: string, refOrId: string): Promise<string> {
    await this.#init();
    return this.#index.locked(async () => {
      const match = findImage(refOrId, await this.#index.read());
      if (!match) throw new RuntimeNotFoundError(`image "${refOrId}" not found`);
      await writeLease(join(this.root, 'leases'), holder, match.id);
      return match.id;
    });
  }

  /** Drops `holder`'s lease (idempotent). */
  async releaseImage(holder: string): Promise<void> {
    await this.#init();
    await deleteLease(join(this.root, 'leases'), holder);
  }

  /** Deletes layers no image in `data` uses (see the file header for what is spared). */
  async #collectLayers(data: StoreIndexData, removedLayers: Set<string>): Promise<void> {
    if (this.#pulls.size > 0) {
      for (const d of removedLayers) this.#deferredLayers.add(d);
      return;
    }
    const removed = new Set([...removedLayers, ...this.#deferredLayers]);
    this.#deferredLayers.clear();
    const used = new Set<string>();
    for (const id of Object.keys(data.images)) {
      try {
        for (const d of (await this.#config(id)).rootfs.diff_ids) used.add(d);
      } catch (err) {
        this.#log.warn('Not deleting unused layers: an image config is unreadable', { id, err });
        return;
      }
    }
    const now = Date.now();
    const spare = (diffId: string): boolean =>
      used.has(diffId) || now - (this.#fresh.get(diffId) ?? 0) < freshLayerMs;
    await deleteUnusedLayers(this.root, spare, removed, freshLayerMs, this.#log);
    await deleteUnusedConfigs(this.root, new Set(Object.keys(data.images)), this.#log);
  }

  /** Runs the layer collection postponed by removals during pulls, once no pull runs. */
  #collectDeferred(): void {
    if (this.#deferredLayers.size === 0) return;
    this.#index
      .update((data) => this.#collectLayers(data, new Set()))
      .catch((err: unknown) => this.#log.warn('Deleting unused image layers failed', { err }));
  }

  /**
   * Pulls through the configured {@link ImagePuller}. Concurrent pulls of one normalised
   * reference share one download; each caller's signal only cancels its own wait.
   */
  async pullImage(ref: string, auth: PullAuth[], signal?: AbortSignal): Promise<ImageInfo> {
    const puller = this.#puller;
    if (!puller) {
      throw new ImagePullError(
        `cannot pull image "${ref}": this node has no registry puller configured (import the image with "podbay image import")`,
      );
    }
    let key: string;
    try {
      key = normalizeImageRef(ref);
    } catch (e) {
      throw new ImagePullError(`invalid image reference "${ref}": ${(e as Error).message}`);
    }
    return this.#pulls.run(
      key,
      async (sig) => {
        await this.#init();
        try {
          return await puller.pull(ref, auth, this, sig);
        } catch (e) {
          if (e instanceof ImagePullError || sig.aborted) throw e;
          throw new ImagePullError((e as Error).message, { cause: e });
        }
      },
      signal,
    );
  }

  /** Imports a flat rootfs tarball (plain or gzip) as a one-layer image tagged `name`. */
  importRootfs(
    tarPath: string,
    name: string,
    opts: ImportConfigOptions = {},
    signal?: AbortSignal,
  ): Promise<ImageInfo> {
    return importRootfs(this, tarPath, name, opts, signal);
  }

  async #info(id: string, entry: IndexedImage): Promise<ImageInfo> {
    return imageInfo(id, entry, await this.#config(id));
  }

  async #config(id: string): Promise<ImageConfigJson> {
    const cached = this.#configs.get(id);
    if (cached) return cached;
    const bytes = await readFile(join(this.root, 'configs', `${hexOf(id, 'image id')}.json`));
    const cfg = parseImageConfig(bytes);
    this.#configs.set(id, cfg);
    return cfg;
  }

  async #layerSize(diffId: string): Promise<number> {
    const n = Number(await readFile(join(this.layerDir(diffId), '..', 'size'), 'utf8'));
    return Number.isFinite(n) ? n : 0;
  }

  /** Creates the directories and sweeps temp leftovers of dead processes (once). */
  #init(): Promise<void> {
    this.#ready ??= (async () => {
      for (const d of ['layers', 'configs', 'leases', 'tmp']) {
        await mkdir(join(this.root, d), { recursive: true });
      }
      const swept = await sweepTempDir(join(this.root, 'tmp'));
      if (swept.length > 0)
        this.#log.info('Removed leftovers of an interrupted image operation', { swept });
    })();
    return this.#ready;
  }
}
