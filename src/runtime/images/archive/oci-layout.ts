/**
 * OCI image layouts (`oci-layout`, `index.json`, `blobs/sha256/…`), as a directory or a tar, and
 * Docker ≥ 25's hybrid archives read this way when they lack `manifest.json`. Names come from
 * `io.containerd.image.name` or else `org.opencontainers.image.ref.name` when that is a full
 * reference (a bare tag such as `1.36` names no repository: the image is loaded untagged).
 * Indexes, nested or top-level, are resolved to the wanted platform (default the host's).
 */
import { hostPlatform, parseManifest, selectPlatform } from '../registry/manifests.ts';
import type { Descriptor, ManifestDoc } from '../registry/manifests.ts';
import type { Platform } from '../registry/types.ts';
import { archiveTag, parseJson, planImage, readBlob, type PlannedImage } from './archive-plan.ts';
import { ArchiveError, type ArchiveSource } from './archive-source.ts';

const refNameKey = 'org.opencontainers.image.ref.name';
const containerdNameKey = 'io.containerd.image.name';

/** The full image name a top-level descriptor carries, if any. */
export function descriptorName(d: Descriptor): string | undefined {
  const full = d.annotations?.[containerdNameKey];
  if (full !== undefined && full !== '') return archiveTag(full);
  const ref = d.annotations?.[refNameKey];
  if (ref === undefined || ref === '' || !/[:/]/.test(ref)) return undefined;
  return archiveTag(ref);
}

function parse(bytes: Buffer, mediaType: string, what: string): ManifestDoc {
  try {
    return parseManifest(bytes, mediaType);
  } catch (e) {
    throw new ArchiveError(`${what}: ${(e as Error).message}`);
  }
}

function platformName(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant !== undefined ? `/${p.variant}` : ''}`;
}

/** Follows `desc` (an index or a manifest) down to one image manifest for `want`. */
async function resolveManifest(
  src: ArchiveSource,
  desc: Descriptor,
  want: Platform,
): Promise<Extract<ManifestDoc, { kind: 'manifest' }>> {
  let current = desc;
  for (let depth = 0; depth < 4; depth++) {
    const bytes = await readBlob(src, current.digest, current.size);
    const doc = parse(bytes, current.mediaType ?? '', `manifest ${current.digest}`);
    if (doc.kind === 'manifest') return doc;
    const pick = selectPlatform(doc.manifests, want);
    if (pick === undefined) {
      throw new ArchiveError(`index ${current.digest} has no ${platformName(want)} image`);
    }
    current = pick;
  }
  throw new ArchiveError('index nesting too deep');
}

function descriptors(value: unknown): Descriptor[] {
  if (!Array.isArray(value)) throw new ArchiveError('index.json has no manifests list');
  for (const d of value as Array<Partial<Descriptor> | null>) {
    if (typeof d !== 'object' || d === null || typeof d.digest !== 'string') {
      throw new ArchiveError('index.json: a manifest descriptor has no digest');
    }
  }
  return value as Descriptor[];
}

/** Reads the images of an OCI image layout (it has `oci-layout` and `index.json`). */
export async function planOciLayout(
  src: ArchiveSource,
  want: Platform = hostPlatform(),
): Promise<PlannedImage[]> {
  const layout = parseJson(await src.read('oci-layout'), 'oci-layout') as {
    imageLayoutVersion?: unknown;
  } | null;
  if (typeof layout?.imageLayoutVersion !== 'string') {
    throw new ArchiveError('oci-layout has no imageLayoutVersion');
  }
  const index = parseJson(await src.read('index.json'), 'index.json') as { manifests?: unknown };
  const all = descriptors(index?.manifests);
  if (all.length === 0) throw new ArchiveError('index.json lists no images');

  // Top-level descriptors with a platform are alternatives for one name: pick the wanted one.
  const groups = new Map<string, { name: string | undefined; descs: Descriptor[] }>();
  for (const [i, d] of all.entries()) {
    const name = descriptorName(d);
    const key = name ?? (d.platform !== undefined ? '\0unnamed' : `\0${String(i)}`);
    const g = groups.get(key) ?? { name, descs: [] };
    g.descs.push(d);
    groups.set(key, g);
  }
  const images: PlannedImage[] = [];
  const byId = new Map<string, PlannedImage>();
  for (const { name, descs } of groups.values()) {
    const withPlatform = descs.filter((d) => d.platform !== undefined);
    let chosen: Descriptor[];
    if (withPlatform.length > 0) {
      const pick = selectPlatform(withPlatform, want);
      if (pick === undefined) {
        throw new ArchiveError(
          `archive has no ${platformName(want)} image for ${name ?? 'index.json'}`,
        );
      }
      chosen = [pick, ...descs.filter((d) => d.platform === undefined)];
    } else {
      chosen = descs;
    }
    for (const d of chosen) {
      const manifest = await resolveManifest(src, d, want);
      const config = await readBlob(src, manifest.config.digest, manifest.config.size);
      for (const l of manifest.layers) {
        if (!/^sha256:[a-f0-9]{64}$/.test(l.digest)) {
          throw new ArchiveError(`unsupported or invalid layer digest ${JSON.stringify(l.digest)}`);
        }
      }
      const layers = manifest.layers.map((l) => ({
        path: `blobs/sha256/${l.digest.replace(/^sha256:/, '')}`,
        digest: l.digest,
        size: l.size,
      }));
      const planned = await planImage(src, config, name !== undefined ? [name] : [], layers);
      const same = byId.get(planned.id);
      if (same !== undefined) {
        same.repoTags = [...new Set([...same.repoTags, ...planned.repoTags])];
        continue;
      }
      byId.set(planned.id, planned);
      images.push(planned);
    }
  }
  return images;
}
