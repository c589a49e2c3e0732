/**
 * `image load`: imports every image of a `docker save` archive or an OCI image layout into the
 * local store. The whole archive is read and checked first (JSON documents, config and manifest
 * digests, one diff_id per layer, every layer blob present with its stated size), so a malformed
 * archive fails before anything is written. Layers are then unpacked one by one through the
 * store (each appears complete or not at all), checked against their blob digest while streaming
 * and against the config's diff_id once unpacked; the images are recorded only once every layer
 * of the archive is in, so a corrupt layer records no image (layers unpacked before it stay as
 * unreferenced layers, which the store deletes with its unused layers, as after a failed pull).
 * Layers already in the store are not read again.
 */
import type { Readable } from 'node:stream';
import type { ImageInfo } from '../../container-runtime.ts';
import { hostPlatform } from '../registry/manifests.ts';
import { verifying } from '../registry/registry-client.ts';
import type { LayerSink, Platform } from '../registry/types.ts';
import { unpackLayer, type UnpackOptions } from '../unpack/layer-unpacker.ts';
import type { PlannedImage, PlannedLayer } from './archive-plan.ts';
import { ArchiveError, openArchive, type ArchiveSource } from './archive-source.ts';
import { planDockerSave } from './docker-save-layout.ts';
import { planDockerSaveV1 } from './docker-save-v1.ts';
import { planOciLayout } from './oci-layout.ts';

export { ArchiveError } from './archive-source.ts';

/** Options of {@link loadImageArchive}. */
export interface LoadArchiveOptions {
  /** Platform picked from indexes (default the host's). */
  platform?: Platform;
  /** Where a compressed outer tar is decompressed (default the system temp dir). */
  scratchDir?: string;
  signal?: AbortSignal;
  unpack?: Pick<UnpackOptions, 'opaqueXattr' | 'preserveOwner' | 'onSkip'>;
  /** Told when a layer is unpacked (`present` when the store already had it). */
  onLayer?: (layer: { diffId: string; present: boolean }) => void;
}

/** One image recorded by {@link loadImageArchive}. */
export interface LoadedImage {
  id: string;
  /** The names the archive gave it (normalised); the store may know it by others too. */
  repoTags: string[];
  image: ImageInfo;
}

/** Which kind of archive a source holds. */
export type ArchiveFormat = 'docker-save' | 'docker-save-v1' | 'oci-layout';

/**
 * Detects the format: `manifest.json` (docker save, preferred for Docker ≥ 25 hybrids), OCI
 * (`oci-layout` + `index.json`), or `repositories` alone (docker save before Docker 1.10).
 */
export async function archiveFormat(src: ArchiveSource): Promise<ArchiveFormat> {
  if (await src.has('manifest.json')) return 'docker-save';
  if ((await src.has('oci-layout')) && (await src.has('index.json'))) return 'oci-layout';
  if (await src.has('repositories')) return 'docker-save-v1';
  throw new ArchiveError(
    'not a docker save archive or an OCI image layout (no manifest.json, no oci-layout + index.json, no repositories)',
  );
}

/** Reads and checks what an opened archive holds, writing nothing. */
export async function planArchive(
  src: ArchiveSource,
  platform: Platform = hostPlatform(),
): Promise<PlannedImage[]> {
  const format = await archiveFormat(src);
  if (format === 'docker-save') return planDockerSave(src);
  if (format === 'docker-save-v1') return planDockerSaveV1(src);
  return planOciLayout(src, platform);
}

async function unpackPlanned(
  src: ArchiveSource,
  store: LayerSink,
  layer: PlannedLayer,
  opts: LoadArchiveOptions,
): Promise<void> {
  await store.putLayer(layer.diffId, async (dir) => {
    const file = await src.stream(layer.path);
    let blob: Readable = file;
    if (layer.digest !== undefined) {
      const check = verifying(layer.digest, layer.size ?? -1, 'layer');
      blob.on('error', (e) => check.destroy(e));
      blob = blob.pipe(check);
    }
    let got: string;
    try {
      got = (
        await unpackLayer(blob, dir, {
          ...opts.unpack,
          ...(opts.signal ? { signal: opts.signal } : {}),
        })
      ).diffId;
    } catch (e) {
      throw new ArchiveError(`layer ${layer.path}: ${(e as Error).message}`);
    } finally {
      file.destroy();
    }
    if (got !== layer.diffId) {
      throw new ArchiveError(
        `layer ${layer.path} unpacked to diff_id ${got}, but the image config says ${layer.diffId}`,
      );
    }
  });
}

/**
 * Loads every image of the archive at `path` (a tar, plain or compressed, or an OCI layout
 * directory) into `store`; resolves with the recorded images, in archive order. Throws
 * {@link ArchiveError} for a malformed archive.
 */
export async function loadImageArchive(
  store: LayerSink,
  path: string,
  opts: LoadArchiveOptions = {},
): Promise<LoadedImage[]> {
  const src = await openArchive(path, opts.scratchDir);
  try {
    const images = await planArchive(src, opts.platform);
    // Every layer first, then the images: a bad layer anywhere records no image at all.
    const done = new Set<string>();
    for (const layer of images.flatMap((i) => i.layers)) {
      if (done.has(layer.diffId)) continue;
      opts.signal?.throwIfAborted();
      const present = store.hasLayer(layer.diffId);
      if (!present) await unpackPlanned(src, store, layer, opts);
      done.add(layer.diffId);
      opts.onLayer?.({ diffId: layer.diffId, present });
    }
    const loaded: LoadedImage[] = [];
    for (const image of images) {
      const info = await store.putImage(image.config, image.repoTags, []);
      loaded.push({ id: info.id, repoTags: image.repoTags, image: info });
    }
    return loaded;
  } finally {
    await src.close();
  }
}
