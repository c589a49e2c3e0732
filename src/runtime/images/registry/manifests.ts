import { RegistryError } from './errors.ts';
import type { Platform } from './types.ts';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** Every manifest type we read; Distribution 2.8 needs all four (else schema1 or a 404). */
export const MANIFEST_ACCEPT = [
  MEDIA.ociIndex,
  MEDIA.ociManifest,
  MEDIA.dockerList,
  MEDIA.dockerManifest,
].join(', ');

/** A content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export type ManifestDoc =
  | { kind: 'index'; manifests: Descriptor[] }
  | { kind: 'manifest'; config: Descriptor; layers: Descriptor[] };

function isDescriptor(d: unknown): d is Descriptor {
  const x = d as Partial<Descriptor> | null;
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof x.digest === 'string' &&
    typeof x.size === 'number' &&
    (x.mediaType === undefined || typeof x.mediaType === 'string')
  );
}

/** Parses a manifest or index; the type comes from `mediaType`, the Content-Type, or the shape. */
export function parseManifest(bytes: Buffer, contentType: string): ManifestDoc {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new RegistryError('failed to parse manifest: invalid JSON');
  }
  const type =
    (typeof doc['mediaType'] === 'string' ? doc['mediaType'] : '') ||
    contentType.split(';')[0]?.trim() ||
    '';
  if (
    type === MEDIA.dockerSchema1 ||
    type === MEDIA.dockerSchema1Signed ||
    doc['schemaVersion'] === 1
  ) {
    throw new RegistryError('schema 1 manifests are not supported');
  }
  const isIndex =
    type === MEDIA.ociIndex || type === MEDIA.dockerList || Array.isArray(doc['manifests']);
  if (isIndex) {
    const list = doc['manifests'];
    if (!Array.isArray(list) || !list.every(isDescriptor)) {
      throw new RegistryError('failed to parse index: bad manifests list');
    }
    return { kind: 'index', manifests: list };
  }
  const config = doc['config'];
  const layers = doc['layers'];
  if (!isDescriptor(config) || !Array.isArray(layers) || !layers.every(isDescriptor)) {
    throw new RegistryError(`failed to parse manifest of type ${JSON.stringify(type)}`);
  }
  return { kind: 'manifest', config, layers };
}

/** The platform of this host, in OCI terms (linux/amd64 on x64). */
export function hostPlatform(): Platform {
  const arch: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ia32: '386',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
  };
  const p: Platform = { os: 'linux', architecture: arch[process.arch] ?? process.arch };
  if (process.arch === 'arm64') p.variant = 'v8';
  return p;
}

/** Picks the index entry for `want`, skipping attestation manifests; undefined when none. */
export function selectPlatform(manifests: Descriptor[], want: Platform): Descriptor | undefined {
  const candidates = manifests.filter(
    (m) =>
      m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest' &&
      m.platform?.os === want.os &&
      m.platform.architecture === want.architecture,
  );
  const variantOf = (m: Descriptor): string | undefined =>
    m.platform?.variant ?? (m.platform?.architecture === 'arm64' ? 'v8' : undefined);
  return (
    candidates.find((m) => want.variant === undefined || variantOf(m) === want.variant) ??
    candidates.find((m) => m.platform?.variant === undefined) ??
    candidates[0]
  );
}
