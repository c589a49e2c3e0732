/**
 * What an image archive holds, read and checked before anything is written: per image its
 * config bytes, names and layer blobs (with the digests to verify them against).
 */
import { createHash } from 'node:crypto';
import { importName } from '../local-import.ts';
import { parseImageConfig } from '../store-image-config.ts';
import { ArchiveError, type ArchiveSource } from './archive-source.ts';

/** One layer blob of an image in an archive. */
export interface PlannedLayer {
  /** Member path of the blob (gzip, zstd or plain tar). */
  path: string;
  /** The uncompressed tar's digest, from the config's `rootfs.diff_ids`. */
  diffId: string;
  /** Digest and size of the blob itself, when the archive states them (OCI descriptors, blob paths). */
  digest?: string;
  size?: number;
}

/** One image to load. */
export interface PlannedImage {
  config: Buffer;
  /** `sha256:` of the config bytes. */
  id: string;
  /** Normalised tags (`docker.io/library/busybox:1.36`); empty for an unnamed image. */
  repoTags: string[];
  layers: PlannedLayer[];
}

export const sha256Of = (b: Buffer): string =>
  `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** `blobs/sha256/<hex>` → `sha256:<hex>`; undefined for other paths. */
export function digestFromBlobPath(path: string): string | undefined {
  const m = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(path);
  return m ? `sha256:${m[1]!}` : undefined;
}

/** Member path of a blob given its digest; rejects other algorithms and malformed digests. */
export function blobPath(digest: unknown): string {
  if (typeof digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(digest)) {
    throw new ArchiveError(`unsupported or invalid digest ${JSON.stringify(digest)}`);
  }
  return `blobs/sha256/${digest.slice(7)}`;
}

/** Reads a blob by digest and checks its digest (and size when given). */
export async function readBlob(
  src: ArchiveSource,
  digest: unknown,
  size?: number,
): Promise<Buffer> {
  const path = blobPath(digest);
  const bytes = await src.read(path);
  if (sha256Of(bytes) !== digest) {
    throw new ArchiveError(`${path}: digest mismatch (content is ${sha256Of(bytes)})`);
  }
  if (size !== undefined && bytes.length !== size) {
    throw new ArchiveError(`${path}: size ${String(bytes.length)}, expected ${String(size)}`);
  }
  return bytes;
}

/** Parses a JSON member, naming it in the error. */
export function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new ArchiveError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Normalises a tag from an archive (`busybox:1.36` → `docker.io/library/busybox:1.36`). */
export function archiveTag(tag: string): string {
  try {
    return importName(tag);
  } catch (e) {
    throw new ArchiveError(`invalid image name ${JSON.stringify(tag)}: ${(e as Error).message}`);
  }
}

/**
 * Builds a planned image from config bytes and layer blob paths: the config must be an image
 * config with one diff_id per layer, and every blob must be present (with the stated size).
 */
export async function planImage(
  src: ArchiveSource,
  config: Buffer,
  repoTags: string[],
  layers: Array<{ path: string; digest?: string; size?: number }>,
): Promise<PlannedImage> {
  let diffIds: string[];
  try {
    diffIds = parseImageConfig(config).rootfs.diff_ids;
  } catch (e) {
    throw new ArchiveError((e as Error).message);
  }
  if (diffIds.length !== layers.length) {
    throw new ArchiveError(
      `image config lists ${String(diffIds.length)} diff_ids for ${String(layers.length)} layers`,
    );
  }
  const planned: PlannedLayer[] = [];
  for (const [i, l] of layers.entries()) {
    if (!(await src.has(l.path))) throw new ArchiveError(`archive has no layer file ${l.path}`);
    const digest = l.digest ?? digestFromBlobPath(l.path);
    if (l.size !== undefined && (await src.size(l.path)) !== l.size) {
      throw new ArchiveError(
        `layer ${l.path} has ${String(await src.size(l.path))} bytes, expected ${String(l.size)}`,
      );
    }
    planned.push({
      path: l.path,
      diffId: diffIds[i]!,
      ...(digest !== undefined ? { digest } : {}),
      ...(l.size !== undefined ? { size: l.size } : {}),
    });
  }
  return { config, id: sha256Of(config), repoTags: [...new Set(repoTags)], layers: planned };
}
