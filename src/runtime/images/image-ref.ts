/** A parsed, Docker-normalised image reference. */
export interface ImageRef {
  /** Registry host, e.g. docker.io. */
  registry: string;
  /** Repository path, e.g. library/busybox. */
  repository: string;
  /** Tag, when the reference has no digest or also names one. */
  tag?: string;
  /** Digest such as sha256:…, when given. */
  digest?: string;
}

/** Parses a reference the way Docker does (`busybox` → docker.io/library/busybox:latest). */
export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  if (rest.length === 0) throw new Error('empty image reference');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const first = rest.split('/')[0] ?? '';
  let registry = 'docker.io';
  let repository = rest;
  if (rest.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    repository = rest.slice(first.length + 1);
  }
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  if (tag === undefined && digest === undefined) tag = 'latest';
  return {
    registry,
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** Returns the canonical string form of a reference (registry/repository[:tag][@digest]). */
export function normalizeImageRef(ref: string): string {
  const r = parseImageRef(ref);
  return `${r.registry}/${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}
