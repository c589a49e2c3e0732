/**
 * `docker save` archives: `manifest.json` is a list of `{Config, RepoTags, Layers}` with member
 * paths. Docker < 25 (and skopeo's docker-archive) name the config `<hex>.json` and layers
 * `<id>/layer.tar` (often symlinks to `<diffid>.tar`); Docker ≥ 25 points both into
 * `blobs/sha256/`. Tags may be familiar (`busybox:1.36`) and are normalised.
 */
import {
  archiveTag,
  digestFromBlobPath,
  parseJson,
  planImage,
  sha256Of,
  type PlannedImage,
} from './archive-plan.ts';
import { ArchiveError, memberPath, type ArchiveSource } from './archive-source.ts';

interface DockerManifestEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

function member(value: unknown, what: string): string {
  const rel = typeof value === 'string' ? memberPath(value) : undefined;
  if (rel === undefined || rel === '') {
    throw new ArchiveError(`manifest.json: invalid ${what} path ${JSON.stringify(value)}`);
  }
  return rel;
}

/** The digest a config member's name promises (`<hex>.json` or `blobs/sha256/<hex>`). */
function configDigestFromPath(path: string): string | undefined {
  const m = /^([a-f0-9]{64})\.json$/.exec(path);
  return m ? `sha256:${m[1]!}` : digestFromBlobPath(path);
}

/** Reads the images of a `docker save` archive (it has `manifest.json`). */
export async function planDockerSave(src: ArchiveSource): Promise<PlannedImage[]> {
  const doc = parseJson(await src.read('manifest.json'), 'manifest.json');
  if (!Array.isArray(doc) || doc.length === 0) {
    throw new ArchiveError('manifest.json: want a non-empty list of images');
  }
  const images: PlannedImage[] = [];
  for (const raw of doc as DockerManifestEntry[]) {
    if (typeof raw !== 'object' || raw === null) {
      throw new ArchiveError('manifest.json: an entry is not an object');
    }
    const configPath = member(raw.Config, 'Config');
    if (!Array.isArray(raw.Layers)) throw new ArchiveError('manifest.json: Layers is not a list');
    const layers = raw.Layers.map((l) => ({ path: member(l, 'layer') }));
    const tags = raw.RepoTags ?? [];
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) {
      throw new ArchiveError('manifest.json: RepoTags is not a list of names');
    }
    const config = await src.read(configPath);
    const promised = configDigestFromPath(configPath);
    if (promised !== undefined && sha256Of(config) !== promised) {
      throw new ArchiveError(`${configPath}: digest mismatch (content is ${sha256Of(config)})`);
    }
    images.push(await planImage(src, config, tags.map(archiveTag), layers));
  }
  return images;
}
