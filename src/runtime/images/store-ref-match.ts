/**
 * Which image of the index a reference names: a full id `sha256:<hex>`, a tag (normalised the
 * Docker way: `busybox` = `docker.io/library/busybox:latest`), a repo digest `name@sha256:…`, or
 * a unique id prefix (`1a2b3c`, `sha256:1a2b3c`). Names are tried before id prefixes, as docker
 * does, because a short hex string is also a valid repository name.
 */
import { normalizeImageRef, parseImageRef } from './image-ref.ts';
import type { StoreIndexData } from './store-index.ts';

/** How a reference matched an image (`key` = the normalised tag or repo digest). */
export type ImageMatch =
  { id: string; kind: 'id' } | { id: string; kind: 'tag' | 'digest'; key: string };

const idPattern = /^sha256:[0-9a-f]{64}$/;

/** The hex part of `sha256:<hex>`; throws naming `what` (`diff_id`, `image id`) otherwise. */
export function hexOf(digest: string, what: string): string {
  if (!idPattern.test(digest)) {
    throw new Error(`invalid ${what} "${digest}": want sha256:<64 hex digits>`);
  }
  return digest.slice('sha256:'.length);
}

/** `name[:tag]` in full form (`docker.io/library/busybox:latest`); a digest is an error. */
export function normalizeTag(ref: string): string {
  if (parseImageRef(ref).digest !== undefined) {
    throw new Error(`tag "${ref}" must not contain a digest`);
  }
  return normalizeImageRef(ref);
}

/** `name@sha256:…` in full form, without any tag (`docker.io/library/busybox@sha256:…`). */
export function normalizeRepoDigest(ref: string): string {
  const r = parseImageRef(ref);
  if (r.digest === undefined) throw new Error(`repo digest "${ref}" has no digest`);
  return `${r.registry}/${r.repository}@${r.digest}`;
}

/** Finds the image `ref` names in `data`; undefined when none (or an ambiguous id prefix). */
export function findImage(ref: string, data: StoreIndexData): ImageMatch | undefined {
  if (idPattern.test(ref)) return data.images[ref] ? { id: ref, kind: 'id' } : undefined;
  let parsed: ReturnType<typeof parseImageRef> | undefined;
  try {
    parsed = parseImageRef(ref);
  } catch {
    parsed = undefined;
  }
  if (parsed) {
    const key =
      parsed.digest !== undefined
        ? `${parsed.registry}/${parsed.repository}@${parsed.digest}`
        : normalizeImageRef(ref);
    const kind = parsed.digest !== undefined ? 'digest' : 'tag';
    for (const [id, entry] of Object.entries(data.images)) {
      const names = kind === 'digest' ? entry.repoDigests : entry.repoTags;
      if (names.includes(key)) return { id, kind, key };
    }
  }
  const prefix = /^(?:sha256:)?([0-9a-f]{1,64})$/.exec(ref);
  if (!prefix) return undefined;
  const ids = Object.keys(data.images).filter((id) => id.startsWith(`sha256:${prefix[1]!}`));
  return ids.length === 1 ? { id: ids[0]!, kind: 'id' } : undefined;
}
